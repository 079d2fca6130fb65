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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
