using CameraService.Host.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace CameraService.Host.Commands;

/// <summary><c>camera-service run</c> (the default command): builds, starts and runs the service until SIGTERM/SIGINT.</summary>
internal static class RunCommand
{
    public static async Task<int> RunAsync(string? configPath, IReadOnlyList<string> extra, bool demo, CancellationToken cancellationToken)
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
        catch (Exception ex) when (ConfigurationErrors.TryReport(ex))
        {
            return ExitCodes.ConfigurationError;
        }

        using (host)
        {
            try
            {
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ConfigurationErrors.TryReport(ex))
            {
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
}
