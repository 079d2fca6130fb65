using CameraService.Core.Auth;
using CameraService.Core.Cameras;
using CameraService.Core.Metrics;
using CameraService.Core.Plugins;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Hosting;

/// <summary>
/// Starts the active components in dependency order (media store, stream backend, camera sources,
/// transports) and stops them in reverse. A component that fails to start is logged and left
/// degraded; the others still start, so a dead dependency degrades only what needs it. The camera registry
/// subscribes to the sources before any of them starts, so no camera of the first discovery is missed.
/// </summary>
internal sealed partial class ServiceLifecycle(
    ActiveComponents components,
    CameraRegistry registry,
    Cameras.Controls.CameraControlsService controls,
    Cameras.Controls.CameraFormatService formats,
    ServiceInfo info,
    Media.RecordingManager recordings,
    ServiceMetrics metrics,
    TimeProvider time,
    IServiceProvider services,
    ILogger<ServiceLifecycle> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Resolving ServiceInfo here also pins the uptime origin to the service start.
        LogStarting(logger, info.Version);
        EnsureJwtSecret();
        registry.Attach();
        controls.Attach();
        formats.Attach();
        if (components.MediaStore is { } store)
        {
            await RunGuarded("media store", store.Name, () => store.StartAsync(cancellationToken)).ConfigureAwait(false);
        }
        else
        {
            LogMissing(logger, "media store", components.MediaStoreName);
        }

        if (components.StreamBackend is { } backend)
        {
            await RunGuarded("stream backend", backend.Name, () => backend.StartAsync(cancellationToken)).ConfigureAwait(false);

            // Recordings that ran before a restart are re-adopted (or re-applied) before clients can connect.
            await RunGuarded("recording sessions", backend.Name, () => recordings.AdoptAsync(cancellationToken)).ConfigureAwait(false);
        }
        else
        {
            LogMissing(logger, "stream backend", components.StreamBackendName);
        }

        var failedSources = new List<string>();
        foreach (var source in components.CameraSources)
        {
            var started = time.GetTimestamp();
            if (!await RunGuarded("camera source", source.Name, () => source.StartAsync(cancellationToken)).ConfigureAwait(false))
            {
                failedSources.Add(source.Name);
            }

            metrics.DiscoveryDuration.Record(time.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("source", source.Name));
        }

        registry.CompleteDiscovery(failedSources);

        foreach (var transport in components.Transports)
        {
            await RunGuarded("transport", transport.Name, () => transport.StartAsync(cancellationToken)).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var transport in components.Transports.Reverse())
        {
            await RunGuarded("transport", transport.Name, () => transport.StopAsync(cancellationToken)).ConfigureAwait(false);
        }

        foreach (var source in components.CameraSources.Reverse())
        {
            await RunGuarded("camera source", source.Name, () => source.StopAsync(cancellationToken)).ConfigureAwait(false);
        }

        registry.Detach();
        controls.Detach();

        if (components.StreamBackend is { } backend)
        {
            await RunGuarded("stream backend", backend.Name, () => backend.StopAsync(cancellationToken)).ConfigureAwait(false);
        }

        if (components.MediaStore is { } store)
        {
            await RunGuarded("media store", store.Name, () => store.StopAsync(cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>Creates the generated JWT secret on the first start (not on the first login), so `token create` and the service agree from the start.</summary>
    private void EnsureJwtSecret()
    {
        try
        {
            services.GetService(typeof(JwtSecret));
        }
        catch (Exception ex) // a broken secret file disables authentication only; the rest of the service still starts
        {
            LogSecretFailed(logger, ex);
        }
    }

    private async Task<bool> RunGuarded(string kind, string name, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex) // a failing plugin must not stop the host; it is reported as degraded
        {
            LogComponentFailed(logger, ex, kind, name);
            return false;
        }
    }

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "The JWT secret could not be loaded or created; authentication fails until this is fixed")]
    private static partial void LogSecretFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "camera-service {Version} starting")]
    private static partial void LogStarting(ILogger logger, string version);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "No {Kind} named '{Name}' is loaded; features that need it answer with an error. Check `camera-service plugins`.")]
    private static partial void LogMissing(ILogger logger, string kind, string name);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "The {Kind} '{Name}' failed to start or stop; it is degraded.")]
    private static partial void LogComponentFailed(ILogger logger, Exception exception, string kind, string name);
}
