using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace CameraService.Plugins.WebUi;

/// <summary>One file of the console, with its gzip form and entity tag computed once.</summary>
internal sealed record ConsoleAsset(string Name, string ContentType, byte[] Body, byte[]? Gzip, string ETag);

/// <summary>
/// The console's files, embedded in this assembly by the build (resources <c>webui/&lt;name&gt;</c>). Text assets
/// are gzip-compressed once at start so that a box on a slow link gets the small form.
/// </summary>
internal sealed class ConsoleAssets
{
    private const string ResourcePrefix = "webui/";
    private readonly Dictionary<string, ConsoleAsset> _assets = new(StringComparer.Ordinal);

    public ConsoleAssets()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var name = resource[ResourcePrefix.Length..];
            var body = buffer.ToArray();
            var type = ContentType(name);
            var compressible = type.StartsWith("text/", StringComparison.Ordinal) || type.Contains("javascript", StringComparison.Ordinal) || type.Contains("svg", StringComparison.Ordinal) || type.Contains("json", StringComparison.Ordinal);
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 12)) + "\"";
            _assets[name] = new ConsoleAsset(name, type, body, compressible ? Compress(body) : null, etag);
        }
    }

    /// <summary>Whether the build embedded the console (index.html present).</summary>
    public bool Available => _assets.ContainsKey("index.html");

    public ConsoleAsset? Find(string name) => _assets.GetValueOrDefault(name);

    /// <summary>The page with the API's WebSocket path filled in (the page reads it from a meta element).</summary>
    public ConsoleAsset? Index(string webSocketPath)
    {
        if (Find("index.html") is not { } index)
        {
            return null;
        }

        var html = Encoding.UTF8.GetString(index.Body).Replace("%WS_PATH%", System.Net.WebUtility.HtmlEncode(webSocketPath), StringComparison.Ordinal);
        var body = Encoding.UTF8.GetBytes(html);
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 12)) + "\"";
        return index with { Body = body, Gzip = Compress(body), ETag = etag };
    }

    internal static string ContentType(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".json" => "application/json",
        ".woff2" => "font/woff2",
        _ => "application/octet-stream",
    };

    private static byte[] Compress(byte[] body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(body);
        }

        return output.ToArray();
    }
}
