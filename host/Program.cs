using System.CommandLine;
using System.Reflection;
using CameraService.Host.Commands;
using CameraService.Host.Configuration;

namespace CameraService.Host;

/// <summary>The <c>camera-service</c> command line: composes the commands of <c>Commands/</c>.</summary>
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
        run.SetAction((parse, ct) => RunCommand.RunAsync(parse.GetValue(configOption), parse.UnmatchedTokens, parse.GetValue(demoOption), ct));
        root.Subcommands.Add(run);
        root.Options.Add(demoOption);
        root.SetAction((parse, ct) => RunCommand.RunAsync(parse.GetValue(configOption), parse.UnmatchedTokens, parse.GetValue(demoOption), ct));

        var plugins = new Command("plugins", "List plugins with their version, state, reason and the contracts they provide")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        plugins.SetAction(parse => ConfigurationErrors.Guard(() => PluginsCommand.Run(parse.GetValue(configOption), parse.UnmatchedTokens)));
        root.Subcommands.Add(plugins);

        var config = new Command("config", "Configuration tools");
        var check = new Command("check", "Validate the configuration and print the effective values (secrets redacted)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        check.SetAction(parse => ConfigurationErrors.Guard(() => ConfigCheckCommand.Run(parse.GetValue(configOption), parse.UnmatchedTokens)));
        config.Subcommands.Add(check);
        root.Subcommands.Add(config);
        AuthCommands.AddTo(root, configOption);
        FleetCommands.AddTo(root, configOption);

        return root;
    }

    /// <summary>The host's version (its informational version).</summary>
    internal static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
