using System.CommandLine;
using System.Reflection;
using CameraService.Core.Plugins;
using CameraService.Host.Configuration;
using CameraService.Host.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CameraService.Host;

/// <summary>The <c>camera-service</c> command line.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = BuildCommandLine();
        var parse = root.Parse(args);
        return await parse.InvokeAsync().ConfigureAwait(false);
    }

    internal static RootCommand BuildCommandLine()
    {
        var configOption = new Option<string?>("--config")
        {
            Description = $"A JSON file or a folder of *.json files (default {ConfigurationFactory.DefaultConfigDirectory})",
            Recursive = true,
        };

        var root = new RootCommand("camera-service: a camera server for Linux (V4L2 cameras, MediaMTX, recordings, snapshots, JSON-RPC API)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        root.Options.Add(configOption);

        var demoOption = new Option<bool>(DemoProfile.Option)
        {
            Description = "Demo: two synthetic test-pattern cameras, the ffmpeg backend, data in ./data; prints a token and commands to try",
        };
        var run = new Command("run", "Run the service (the default command). Extra --Section:Key=value arguments override configuration.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        run.Options.Add(demoOption);
        run.SetAction((parse, ct) => RunAsync(parse.GetValue(configOption), parse.UnmatchedTokens, parse.GetValue(demoOption), ct));
        root.Subcommands.Add(run);
        root.Options.Add(demoOption);
        root.SetAction((parse, ct) => RunAsync(parse.GetValue(configOption), parse.UnmatchedTokens, parse.GetValue(demoOption), ct));

        var plugins = new Command("plugins", "List plugins with their version, state, reason and the contracts they provide")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        plugins.SetAction(parse => Guard(() => ListPlugins(parse.GetValue(configOption), parse.UnmatchedTokens)));
        root.Subcommands.Add(plugins);

        var config = new Command("config", "Configuration tools");
        var check = new Command("check", "Validate the configuration and print the effective values (secrets redacted)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        check.SetAction(parse => Guard(() => CheckConfig(parse.GetValue(configOption), parse.UnmatchedTokens)));
        config.Subcommands.Add(check);
        root.Subcommands.Add(config);
        Commands.AuthCommands.AddTo(root, configOption);
        Commands.FleetCommands.AddTo(root, configOption);

        return root;
    }

    private static async Task<int> RunAsync(string? configPath, IReadOnlyList<string> extra, bool demo, CancellationToken cancellationToken)
    {
        IHost host;
        HostSettings settings;
        IConfigurationRoot configuration;
        try
        {
            configuration = ConfigurationFactory.Build(configPath, extra);
            if (demo)
            {
                var port = int.TryParse(configuration["Api:Port"], out var p) ? p : 8002;
                configuration = ConfigurationFactory.Build(configPath, extra, DemoProfile.Settings(Path.Combine(Environment.CurrentDirectory, "data"), port));
                if (!DemoProfile.FfmpegAvailable(configuration))
                {
                    await Console.Error.WriteLineAsync("The demo needs ffmpeg, which is not installed: install it with: sudo apt-get install -y ffmpeg (./run.sh does it for you as root)").ConfigureAwait(false);
                    return ExitCodes.MissingDependency;
                }
            }

            settings = HostSettings.Read(configuration);
            (host, _) = ServiceHostFactory.Build(configuration, settings);
        }
        catch (ConfigurationException ex)
        {
            await Console.Error.WriteLineAsync($"Configuration error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.ConfigurationError;
        }

        using (host)
        {
            try
            {
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OptionsValidationException ex)
            {
                await Console.Error.WriteLineAsync($"Configuration error: {string.Join("; ", ex.Failures)}").ConfigureAwait(false);
                return ExitCodes.ConfigurationError;
            }
            catch (ConfigurationException ex)
            {
                await Console.Error.WriteLineAsync($"Configuration error: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.ConfigurationError;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
            catch (Exception ex) // a start failure (e.g. two plugins providing the same name): one line for the operator; the host logged the details
            {
                await Console.Error.WriteLineAsync($"camera-service could not start: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            if (demo)
            {
                await Console.Out.WriteLineAsync(DemoProfile.Banner(host.Services, configuration)).ConfigureAwait(false);
            }

            try
            {
                // Returns after SIGTERM/SIGINT once the host has stopped; the stop is bounded by Host:ShutdownTimeout.
                await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync(
                    $"camera-service did not stop within Host:ShutdownTimeout ({settings.ShutdownTimeout}); components still stopping were abandoned").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            catch (Exception ex) // a failure while stopping: the process ends anyway; say so in one line (the host logged the details)
            {
                await Console.Error.WriteLineAsync($"camera-service failed while stopping: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        }
    }

    private static int ListPlugins(string? configPath, IReadOnlyList<string> extra)
    {
        var configuration = ConfigurationFactory.Build(configPath, extra);
        var settings = HostSettings.Read(configuration);
        var catalog = new PluginLoader(configuration).LoadAll(settings.PluginsDirectory, new ServiceCollection());
        Console.WriteLine($"Plugins in {settings.PluginsDirectory}:");
        Console.Write(FormatPluginTable(catalog));
        return ExitCodes.Success;
    }

    internal static string FormatPluginTable(PluginCatalog catalog)
    {
        var rows = catalog.Plugins
            .Select(p => new[] { p.Id, p.Version, p.State.ToString(), string.Join(", ", p.Contracts), p.Reason ?? string.Empty })
            .ToList();
        string[] header = ["ID", "VERSION", "STATE", "CONTRACTS", "REASON"];
        var widths = Enumerable.Range(0, header.Length - 1)
            .Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max())
            .ToArray();
        var sb = new System.Text.StringBuilder();
        foreach (var row in rows.Prepend(header))
        {
            for (var i = 0; i < row.Length - 1; i++)
            {
                sb.Append(row[i].PadRight(widths[i] + 2));
            }

            sb.AppendLine(row[^1]);
        }

        if (rows.Count == 0)
        {
            sb.AppendLine("(no plugin folders found)");
        }

        return sb.ToString();
    }

    private static int CheckConfig(string? configPath, IReadOnlyList<string> extra)
    {
        var configuration = ConfigurationFactory.Build(configPath, extra);
        HostSettings.Read(configuration);

        // Build the host without starting it: plugin options validators with ValidateOnStart run here.
        var (host, _) = ServiceHostFactory.Build(configuration, HostSettings.Read(configuration));
        using (host)
        {
            var validator = host.Services.GetService<IStartupValidator>();
            validator?.Validate();
        }

        Console.WriteLine("Configuration is valid. Effective values:");
        foreach (var (key, value) in Flatten(configuration))
        {
            Console.WriteLine($"  {key} = {Redact(key, value)}");
        }

        return ExitCodes.Success;
    }

    internal static IEnumerable<(string Key, string Value)> Flatten(IConfiguration configuration) =>
        configuration.AsEnumerable()
            .Where(kv => kv.Value is not null && IsOwnKey(kv.Key))
            .OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase)
            .Select(kv => (kv.Key, kv.Value!));

    private static bool IsOwnKey(string key)
    {
        string[] sections = ["Api", "Auth", "CameraService", "Host", "Logging", "Metrics", "Plugins", "State", "Storage", "Health", "Alerts", "Demo"];
        var first = key.Split(':')[0];
        return sections.Contains(first, StringComparer.OrdinalIgnoreCase);
    }

    internal static string Redact(string key, string value)
    {
        string[] secretWords = ["secret", "password", "token", "key"];
        var segments = key.Split(':');

        // An element of a list (Auth:ApiKeys:0) is named by its list.
        var name = segments.Length > 1 && segments[^1].All(char.IsAsciiDigit) ? segments[^2] : segments[^1];
        return secretWords.Any(w => name.Contains(w, StringComparison.OrdinalIgnoreCase)) && value.Length > 0 && !name.EndsWith("Path", StringComparison.OrdinalIgnoreCase)
            ? "***"
            : value;
    }

    private static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (ConfigurationException ex)
        {
            Console.Error.WriteLine($"Configuration error: {ex.Message}");
            return ExitCodes.ConfigurationError;
        }
        catch (OptionsValidationException ex)
        {
            Console.Error.WriteLine($"Configuration error: {string.Join("; ", ex.Failures)}");
            return ExitCodes.ConfigurationError;
        }
    }

    internal static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}

/// <summary>Process exit codes (documented in the README).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int ConfigurationError = 2;
    public const int MissingDependency = 3;
}
