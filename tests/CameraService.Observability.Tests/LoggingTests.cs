using CameraService.Host.Configuration;
using CameraService.Host.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CameraService.Observability.Tests;

public sealed class LoggingTests
{
    [Fact]
    public void RepeatSuppression_SameWarningWithinWindow_WrittenOnceThenWithCount()
    {
        var time = new FakeTimeProvider();
        var sink = new RecordingProvider();
        using var provider = new RepeatSuppressingLoggerProvider(sink, time, TimeSpan.FromSeconds(30));
        var logger = provider.CreateLogger("cat");

        for (var i = 0; i < 5; i++)
        {
            logger.LogWarning(new EventId(7), "camera {Id} failed", "camera0");
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var afterBurst = sink.Lines.Count;
        time.Advance(TimeSpan.FromSeconds(30));
        logger.LogWarning(new EventId(7), "camera {Id} failed", "camera0");

        Assert.Equal(1, afterBurst);
        Assert.Equal(["camera camera0 failed", "camera camera0 failed (repeated 4 more times in the last 30 s)"], sink.Lines);
    }

    [Fact]
    public void RepeatSuppression_DifferentMessagesAndInformation_AreNotSuppressed()
    {
        var time = new FakeTimeProvider();
        var sink = new RecordingProvider();
        using var provider = new RepeatSuppressingLoggerProvider(sink, time, TimeSpan.FromSeconds(30));
        var logger = provider.CreateLogger("cat");

        logger.LogError(new EventId(1), "camera {Id} failed", "camera0");
        logger.LogError(new EventId(1), "camera {Id} failed", "camera1");
        logger.LogInformation(new EventId(2), "tick");
        logger.LogInformation(new EventId(2), "tick");
        provider.CreateLogger("other").LogError(new EventId(1), "camera {Id} failed", "camera0");

        Assert.Equal(["camera camera0 failed", "camera camera1 failed", "tick", "tick", "camera camera0 failed"], sink.Lines);
    }

    [Theory]
    [InlineData("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl", "Bearer ***")]
    [InlineData("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl rejected", "token *** rejected")]
    [InlineData("GET /files/snapshots/a.jpg?token=abc.def&x=1", "GET /files/snapshots/a.jpg?token=***&x=1")]
    [InlineData("key csk_0123456789abcdefABCDEF used", "key csk_*** used")]
    [InlineData("http://admin:hunter2@127.0.0.1:9997/v3/info", "http://admin:***@127.0.0.1:9997/v3/info")]
    [InlineData("{\"password\":\"hunter2\"}", "{\"password\":\"***\"}")]
    [InlineData("Session s1 authenticated as admin (admin)", "Session s1 authenticated as admin (admin)")]
    public void Redact_Credentials_AreMasked(string text, string expected) =>
        Assert.Equal(expected, SecretRedactingLoggerProvider.Redact(text));

    [Fact]
    public void Redaction_MessageAndStateProperties_AreMasked()
    {
        var sink = new RecordingProvider();
        using var provider = new SecretRedactingLoggerProvider(sink);

        provider.CreateLogger("cat").LogWarning("refused {Credential}", "csk_0123456789abcdef");

        Assert.Equal(["refused csk_***"], sink.Lines);
        Assert.Contains(sink.States.Single(), p => p.Key == "Credential" && (string?)p.Value == "csk_***");
    }

    [Theory]
    [InlineData("Auto", true, true, "Systemd")]
    [InlineData("Auto", false, true, "Json")]
    [InlineData("Auto", false, false, "Text")]
    [InlineData("Json", true, false, "Json")]
    [InlineData("Text", false, true, "Text")]
    public void Resolve_FormatAndEnvironment_PicksFormat(string configured, bool systemd, bool redirected, string expected) =>
        Assert.Equal(Enum.Parse<LogFormat>(expected), LoggingSetup.Resolve(Enum.Parse<LogFormat>(configured), systemd, redirected));

    [Fact]
    public void ReadFormat_UnknownValue_ThrowsNamingTheKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:Format"] = "xml" }).Build();

        var ex = Assert.Throws<ConfigurationException>(() => LoggingSetup.ReadFormat(configuration));

        Assert.Contains("Logging:Format", ex.Message, StringComparison.Ordinal);
    }

    private sealed class RecordingProvider : ILoggerProvider
    {
        public List<string> Lines { get; } = [];

        public List<IReadOnlyList<KeyValuePair<string, object?>>> States { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(RecordingProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                owner.Lines.Add(formatter(state, exception));
                if (state is IReadOnlyList<KeyValuePair<string, object?>> properties)
                {
                    owner.States.Add(properties);
                }
            }
        }
    }
}
