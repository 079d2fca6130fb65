namespace CameraService.Abstractions.Api;

/// <summary>
/// An answer with a body in memory and extra response headers, for endpoints that serve web pages and their assets
/// (<c>Content-Security-Policy</c>, <c>Cache-Control</c>, <c>ETag</c>, <c>Content-Encoding</c>, …). A 304 answer
/// has an empty body.
/// </summary>
public sealed record HttpHeadersReply : HttpReply
{
    /// <summary>Content type, e.g. <c>text/html; charset=utf-8</c>.</summary>
    public required string ContentType { get; init; }

    /// <summary>The body, already encoded as the headers say.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>Response headers to send as they are.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// One-time sign-in links of a browser console (the <c>webui</c> plugin): the demo prints such a link instead of a
/// token in a URL. Resolve it from the service provider; absent when no console is loaded.
/// </summary>
public interface IConsoleSignIn
{
    /// <summary>
    /// Remembers <paramref name="credential"/> under a new random code usable once within <paramref name="lifetime"/>
    /// and returns the path and fragment to open on the API listener (e.g. <c>/#signin=…</c>).
    /// </summary>
    /// <param name="credential">The JWT or API key the browser receives when it redeems the code.</param>
    /// <param name="lifetime">How long the code can be redeemed.</param>
    string CreateSignInLink(string credential, TimeSpan lifetime);
}
