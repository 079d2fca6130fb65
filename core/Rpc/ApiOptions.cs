using Microsoft.Extensions.Options;

namespace CameraService.Core.Rpc;

/// <summary>The core's part of the <c>Api</c> section (the transport reads its own keys from the same section).</summary>
internal sealed class ApiOptions
{
    /// <summary>The section this binds from (shared with the WebSocket transport's options).</summary>
    public const string SectionName = "Api";

    /// <summary>Maximum number of calls in one batch (<c>Api:MaxBatchSize</c>).</summary>
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>The per-session rate limit (<c>Api:RateLimit</c>).</summary>
    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>The absolute base URL clients reach the service at (<c>Api:PublicBaseUrl</c>).</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>The host name used in URLs when <see cref="PublicBaseUrl"/> is unset (<c>Api:PublicHost</c>).</summary>
    public string? PublicHost { get; set; }

    /// <summary>The listener port (<c>Api:Port</c>), used in the default public base URL.</summary>
    public int Port { get; set; } = 8002;

    /// <summary>Whether the listener uses TLS (<c>Api:Tls:CertificatePath</c> set), for the default URL scheme.</summary>
    public TlsOptions Tls { get; set; } = new();

    /// <summary>The number of cameras reported as <c>max_cameras</c> and enforced by the registry (<c>Api:MaxCameras</c>).</summary>
    public int MaxCameras { get; set; } = 64;
}

/// <summary>Token bucket settings.</summary>
internal sealed class RateLimitOptions
{
    public double RequestsPerSecond { get; set; } = 100;

    public double Burst { get; set; } = 200;
}

/// <summary>The TLS keys of the <c>Api</c> section that the core needs to know about.</summary>
internal sealed class TlsOptions
{
    public string? CertificatePath { get; set; }
}

internal sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var failures = new List<string>();
        if (options.MaxBatchSize is < 1 or > 10_000)
        {
            failures.Add("Api:MaxBatchSize must be between 1 and 10000");
        }

        if (options.RateLimit.RequestsPerSecond is <= 0 or > 1_000_000)
        {
            failures.Add("Api:RateLimit:RequestsPerSecond must be greater than 0 and at most 1000000");
        }

        if (options.RateLimit.Burst < 1)
        {
            failures.Add("Api:RateLimit:Burst must be at least 1");
        }

        if (options.Port is < 1 or > 65535)
        {
            failures.Add("Api:Port must be between 1 and 65535");
        }

        if (options.MaxCameras < 1)
        {
            failures.Add("Api:MaxCameras must be at least 1");
        }

        if (options.PublicBaseUrl is { Length: > 0 } url
            && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"Api:PublicBaseUrl must be an absolute http(s) URL (got '{url}')");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
