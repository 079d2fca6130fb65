using Microsoft.Extensions.Options;

namespace CameraService.Core.Auth;

/// <summary>The <c>Auth</c> section.</summary>
internal sealed class AuthOptions
{
    /// <summary>The section this binds from.</summary>
    public const string SectionName = "Auth";

    /// <summary>The HS256 secret (<c>Auth:JwtSecret</c>, at least 32 bytes); when unset a random one is kept in the state directory.</summary>
    public string? JwtSecret { get; set; }

    /// <summary>Tolerance when checking <c>exp</c> (<c>Auth:ClockSkew</c>), zero by default.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.Zero;

    /// <summary>How long a session may stay unauthenticated before it is closed with 1008 (<c>Auth:UnauthenticatedTimeout</c>).</summary>
    public TimeSpan UnauthenticatedTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest JWT lifetime (<c>exp</c> − <c>iat</c>) that is accepted and that <c>token create --ttl</c> allows (<c>Auth:MaxTokenLifetime</c>).</summary>
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Lifetime of the signed token in the stream URLs the API returns (<c>Auth:StreamTokenLifetime</c>); downloads use <c>Storage:DownloadUrlTtl</c>.</summary>
    public TimeSpan StreamTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);
}

internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public const int MinimumSecretBytes = 32;

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        if (options.JwtSecret is { Length: > 0 } secret && System.Text.Encoding.UTF8.GetByteCount(secret) < MinimumSecretBytes)
        {
            failures.Add($"Auth:JwtSecret must be at least {MinimumSecretBytes} bytes long (HS256 needs a 256-bit key); or leave it unset to use a generated secret");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(5))
        {
            failures.Add("Auth:ClockSkew must be between 00:00:00 and 00:05:00");
        }

        if (options.UnauthenticatedTimeout < TimeSpan.FromSeconds(1) || options.UnauthenticatedTimeout > TimeSpan.FromHours(1))
        {
            failures.Add("Auth:UnauthenticatedTimeout must be between 00:00:01 and 01:00:00 (hh:mm:ss)");
        }

        if (options.MaxTokenLifetime < TimeSpan.FromMinutes(1) || options.MaxTokenLifetime > TimeSpan.FromDays(366))
        {
            failures.Add("Auth:MaxTokenLifetime must be between 00:01:00 and 366.00:00:00 (d.hh:mm:ss); use API keys for longer-lived credentials");
        }

        if (options.StreamTokenLifetime < TimeSpan.FromSeconds(10) || options.StreamTokenLifetime > TimeSpan.FromDays(1))
        {
            failures.Add("Auth:StreamTokenLifetime must be between 00:00:10 and 1.00:00:00 (d.hh:mm:ss)");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
