using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace CameraService.Host.Logging;

/// <summary>
/// The last line of defence against secrets in logs: wraps the real provider and masks anything that looks like a
/// credential in the rendered message and in the structured state — JWTs, API keys (<c>csk_…</c>), <c>Bearer</c>
/// values, <c>token=</c>/<c>password=</c> query or key-value pairs and <c>user:password@</c> in URLs. Components do not
/// log credentials on purpose; this catches what a library or a future log line lets slip.
/// </summary>
internal sealed partial class SecretRedactingLoggerProvider(ILoggerProvider inner) : ILoggerProvider, ISupportExternalScope
{
    public const string Mask = "***";

    public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName));

    public void Dispose() => inner.Dispose();

    public void SetScopeProvider(IExternalScopeProvider scopeProvider)
    {
        if (inner is ISupportExternalScope scoped)
        {
            scoped.SetScopeProvider(scopeProvider);
        }
    }

    /// <summary>The text with every credential-looking part masked; the same instance when nothing matched.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!MayContainSecret(text))
        {
            return text;
        }

        var result = JwtPattern().Replace(text, Mask);
        result = ApiKeyPattern().Replace(result, "csk_" + Mask);
        result = BearerPattern().Replace(result, "${1}" + Mask);
        result = KeyValuePattern().Replace(result, "${1}" + Mask);
        result = UserInfoPattern().Replace(result, "${1}" + Mask + "@");
        return result;
    }

    // Cheap pre-check so the regexes only run on the rare line that could hold a secret.
    private static bool MayContainSecret(string text) =>
        text.Contains("eyJ", StringComparison.Ordinal)
        || text.Contains("csk_", StringComparison.Ordinal)
        || text.Contains("earer", StringComparison.Ordinal)
        || text.Contains('=', StringComparison.Ordinal)
        || text.Contains('@', StringComparison.Ordinal)
        || text.Contains("password", StringComparison.OrdinalIgnoreCase)
        || text.Contains("passwd", StringComparison.OrdinalIgnoreCase)
        || text.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || text.Contains("token", StringComparison.OrdinalIgnoreCase)
        || text.Contains("apikey", StringComparison.OrdinalIgnoreCase)
        || text.Contains("api_key", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")]
    private static partial Regex JwtPattern();

    [GeneratedRegex(@"csk_[A-Za-z0-9_-]{6,}")]
    private static partial Regex ApiKeyPattern();

    [GeneratedRegex(@"(\b[Bb]earer\s+)[^\s""',;]+")]
    private static partial Regex BearerPattern();

    [GeneratedRegex(@"((?:^|[?&\s""'{,(])(?:token|access_token|auth_token|api_key|apikey|password|passwd|secret|jwt_secret)[""']?\s*[=:]\s*[""']?)[^&\s""',;)}]+", RegexOptions.IgnoreCase)]
    private static partial Regex KeyValuePattern();

    [GeneratedRegex(@"(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@", RegexOptions.IgnoreCase)]
    private static partial Regex UserInfoPattern();

    private sealed class Logger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            var redacted = Redact(message);
            var properties = state as IReadOnlyList<KeyValuePair<string, object?>>;
            var stateChanged = properties is not null && properties.Any(p => p.Value is string s && !ReferenceEquals(Redact(s), s));
            if (ReferenceEquals(redacted, message) && !stateChanged)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            var safe = new RedactedState(redacted, properties?.Select(p => p.Value is string s ? new KeyValuePair<string, object?>(p.Key, Redact(s)) : p).ToList() ?? []);
            inner.Log(logLevel, eventId, safe, exception, static (s, _) => s.Message);
        }
    }

    /// <summary>A log state whose message and string properties are masked (the JSON formatter writes both).</summary>
    private sealed class RedactedState(string message, IReadOnlyList<KeyValuePair<string, object?>> properties) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message { get; } = message;

        public int Count => properties.Count;

        public KeyValuePair<string, object?> this[int index] => properties[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => properties.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }
}
