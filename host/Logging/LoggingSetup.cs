using CameraService.Host.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace CameraService.Host.Logging;

/// <summary>The console log formats <c>Logging:Format</c> selects.</summary>
internal enum LogFormat
{
    /// <summary>systemd under systemd, JSON when stdout is not a terminal, text when it is.</summary>
    Auto,

    /// <summary>One JSON object per line (structured properties, scopes, UTC timestamps).</summary>
    Json,

    /// <summary>Readable single-line text.</summary>
    Text,

    /// <summary>journald priority prefixes (<c>&lt;6&gt;</c>), no timestamps (journald adds them).</summary>
    Systemd,
}

/// <summary>
/// Console logging for the service: the format from <c>Logging:Format</c> (auto, json, text, systemd), request and
/// session scopes included, every line passed through <see cref="SecretRedactingLoggerProvider"/> and identical
/// warnings/errors rate-limited by <see cref="RepeatSuppressingLoggerProvider"/> (<c>Logging:RepeatWindow</c>).
/// </summary>
internal static class LoggingSetup
{
    public static readonly TimeSpan DefaultRepeatWindow = TimeSpan.FromSeconds(30);

    public static LogFormat ReadFormat(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var text = configuration[ConfigurationKeys.LogFormat];
        if (string.IsNullOrWhiteSpace(text))
        {
            return LogFormat.Auto;
        }

        return Enum.TryParse<LogFormat>(text.Trim(), ignoreCase: true, out var format) && Enum.IsDefined(format)
            ? format
            : throw new ConfigurationException(ConfigurationKeys.LogFormat, $"must be auto, json, text or systemd (got '{text}')");
    }

    /// <summary>What <see cref="LogFormat.Auto"/> means here and now.</summary>
    public static LogFormat Resolve(LogFormat format, bool underSystemd, bool outputRedirected) => format switch
    {
        LogFormat.Auto when underSystemd => LogFormat.Systemd,
        LogFormat.Auto => outputRedirected ? LogFormat.Json : LogFormat.Text,
        _ => format,
    };

    public static void Configure(ILoggingBuilder logging, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(logging);
        var format = Resolve(ReadFormat(configuration), SystemdHelpers.IsSystemdService(), Console.IsOutputRedirected);
        var window = HostSettings.ReadDuration(configuration, ConfigurationKeys.LogRepeatWindow, DefaultRepeatWindow, TimeSpan.Zero, TimeSpan.FromHours(1));

        logging.AddConfiguration(configuration.GetSection("Logging"));
        logging.AddConsole();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.IncludeScopes = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
        });
        logging.AddSystemdConsole(o => o.IncludeScopes = true);

        // PostConfigure: wins over AddSystemd's own choice, so an explicit Logging:Format holds under systemd too.
        logging.Services.PostConfigure<ConsoleLoggerOptions>(o => o.FormatterName = format switch
        {
            LogFormat.Json => ConsoleFormatterNames.Json,
            LogFormat.Systemd => ConsoleFormatterNames.Systemd,
            _ => ConsoleFormatterNames.Simple,
        });

        // The console provider (with the formatters and options AddConsole registered) is wrapped: redaction first, then
        // repeat suppression. The wrapper owns it, so it is disposed (and flushed) exactly once.
        logging.Services.RemoveAll<ILoggerProvider>();
        logging.Services.AddSingleton<ILoggerProvider>(sp =>
        {
            var console = new ConsoleLoggerProvider(sp.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), sp.GetServices<ConsoleFormatter>());
            ILoggerProvider provider = new SecretRedactingLoggerProvider(console);
            return window > TimeSpan.Zero
                ? new RepeatSuppressingLoggerProvider(provider, sp.GetService<TimeProvider>() ?? TimeProvider.System, window)
                : provider;
        });
    }
}
