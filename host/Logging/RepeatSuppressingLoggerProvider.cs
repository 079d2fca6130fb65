using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CameraService.Host.Logging;

/// <summary>
/// Wraps the real logger provider and rate-limits repetition: the same warning or error (same category, event id
/// and rendered message) is written at most once per <see cref="Window"/>; when the window ends, the next
/// occurrence carries how many were suppressed. A camera that fails every 100 ms cannot flood the journal.
/// </summary>
internal sealed class RepeatSuppressingLoggerProvider(ILoggerProvider inner, TimeProvider time, TimeSpan window) : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentDictionary<string, Entry> _recent = new(StringComparer.Ordinal);

    public TimeSpan Window { get; } = window;

    public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName), categoryName, this);

    public void Dispose() => inner.Dispose();

    public void SetScopeProvider(IExternalScopeProvider scopeProvider)
    {
        if (inner is ISupportExternalScope scoped)
        {
            scoped.SetScopeProvider(scopeProvider);
        }
    }

    /// <summary>Returns whether to write, and how many identical entries were suppressed before this one.</summary>
    private (bool Write, int Suppressed) Admit(string key)
    {
        var now = time.GetTimestamp();
        var entry = _recent.GetOrAdd(key, _ => new Entry(now));
        lock (entry)
        {
            if (entry.First)
            {
                entry.First = false;
                return (true, 0);
            }

            if (time.GetElapsedTime(entry.Since, now) < Window)
            {
                entry.Suppressed++;
                return (false, 0);
            }

            var suppressed = entry.Suppressed;
            entry.Suppressed = 0;
            entry.Since = now;
            if (_recent.Count > 10_000)
            {
                _recent.Clear(); // bounded memory: forgetting old keys only lets one more line through
            }

            return (true, suppressed);
        }
    }

    private sealed class Entry(long since)
    {
        public long Since { get; set; } = since;

        public int Suppressed { get; set; }

        public bool First { get; set; } = true;
    }

    private sealed class Logger(ILogger inner, string category, RepeatSuppressingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Warning || !inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            var message = formatter(state, exception);
            var (write, suppressed) = owner.Admit($"{category}\u0001{eventId.Id}\u0001{message}");
            if (!write)
            {
                return;
            }

            if (suppressed == 0)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
            else
            {
                inner.Log(logLevel, eventId, state, exception, (s, e) => $"{formatter(s, e)} (repeated {suppressed} more times in the last {owner.Window.TotalSeconds:F0} s)");
            }
        }
    }
}
