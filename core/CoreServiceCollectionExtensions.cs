using CameraService.Abstractions.Api;
using CameraService.Core.Auth;
using CameraService.Core.Cameras;
using CameraService.Core.Cameras.Controls;
using CameraService.Core.Events;
using CameraService.Core.Health;
using CameraService.Core.Hosting;
using CameraService.Core.Media;
using CameraService.Core.Media.Motion;
using CameraService.Core.Media.Schedules;
using CameraService.Core.Methods;
using CameraService.Core.Metrics;
using CameraService.Core.Notifications;
using CameraService.Core.Plugins;
using CameraService.Core.Rpc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CameraService.Core;

/// <summary>Registers the core services.</summary>
public static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds the camera service core: component selection, lifecycle, camera registry, JSON-RPC endpoint,
    /// method table, authentication, access control and the event hub.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration.</param>
    /// <param name="plugins">What the host's plugin loader found.</param>
    public static IServiceCollection AddCameraServiceCore(this IServiceCollection services, IConfiguration configuration, PluginCatalog plugins)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(plugins);
        services.TryAddSingleton(configuration);
        services.TryAddSingleton<ActiveComponents>();
        services.AddHostedService<ServiceLifecycle>();

        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>());
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());

        services.TryAddSingleton<ServiceInfo>();
        services.TryAddSingleton(sp => new StateDirectory(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton<PublicEndpoint>();
        services.TryAddSingleton<AlertBoard>();
        services.TryAddSingleton<SystemHealth>();

        // Auth
        services.TryAddSingleton<JwtSecret>();
        services.TryAddSingleton<JwtTokenService>();
        services.TryAddSingleton<ApiKeyStore>();
        services.TryAddSingleton<CredentialValidator>();
        services.AddCameraServiceSecurity();
        services.TryAddSingleton<AccessControl>();
        services.TryAddSingleton<IAccessControl>(sp => sp.GetRequiredService<AccessControl>());

        // Events and cameras
        services.TryAddSingleton<EventHub>();
        services.TryAddSingleton<IEventPublisher>(sp => sp.GetRequiredService<EventHub>());
        services.TryAddSingleton<CameraRegistry>();

        // Metrics (sections appear in get_metrics in registration order)
        services.TryAddSingleton<ApiMetrics>();
        services.AddSingleton<IMetricsSection, ApiMetricsSection>();
        services.AddSingleton<IMetricsSection, SystemMetricsSection>();
        services.AddSingleton<IMetricsSection, CameraMetricsSectionProvider>();
        services.AddSingleton<IMetricsSection, RecordingMetricsSection>();
        services.AddSingleton<IMetricsSection, StreamMetricsSectionProvider>();

        // JSON-RPC: the method table collects every IRpcMethodProvider (add yours with AddRpcMethods<T>()).
        services.AddRpcMethods<SystemMethods>();
        services.AddRpcMethods<EventMethods>();
        services.AddRpcMethods<CameraMethods>();
        services.TryAddSingleton<CameraControlStore>();
        services.TryAddSingleton<CameraControlsService>();
        services.AddRpcMethods<CameraControlMethods>();
        services.TryAddSingleton<CameraFormatService>();
        services.AddRpcMethods<CameraFormatMethods>();
        services.AddRpcMethods<ApiKeyMethods>();
        services.AddRpcMethods<RetentionPolicyMethods>();
        services.AddRpcMethods<ExternalStreamMethods>();
        services.TryAddSingleton<RpcMethodTable>();
        services.TryAddSingleton<RpcRouters>();
        services.TryAddSingleton<IRpcNotificationPublisher, RoutedNotifications>();
        services.TryAddSingleton<RpcEndpoint>();
        // Deferred: a transport may take the endpoint in its constructor although the endpoint depends on the transports.
        services.TryAddSingleton<DeferredRpcEndpoint>();
        services.TryAddSingleton<IRpcEndpoint>(sp => sp.GetRequiredService<DeferredRpcEndpoint>());
        services.TryAddSingleton<ITrustedRpcEndpoint>(sp => sp.GetRequiredService<DeferredRpcEndpoint>());
        services.AddSingleton<IHttpEndpointSource, OpenRpcHttpEndpoint>();

        // Media flows: recording sessions and the media methods (snapshots, recordings, streaming, files, storage).
        services.TryAddSingleton<ICameraDirectory, RegistryCameraDirectory>();
        services.TryAddSingleton<RecordingBoard>();
        services.TryAddSingleton<RecordingManager>();
        services.AddOptions<RecordingOptions>().BindConfiguration(RecordingOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RecordingOptions>, RecordingOptionsValidator>());
        services.TryAddSingleton<RecordingProgressReporter>();
        services.AddHostedService(sp => sp.GetRequiredService<RecordingProgressReporter>());
        services.AddRpcMethods<MediaMethods>();

        // Recording schedules: weekly windows per camera stable id, driven after the sessions were re-adopted.
        services.TryAddSingleton<RecordingScheduleStore>();
        services.TryAddSingleton<RecordingScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<RecordingScheduler>());
        services.AddRpcMethods<RecordingScheduleMethods>();

        // Motion detection: settings per camera stable id; one frame reader per watched camera.
        services.TryAddSingleton<MotionSettingsStore>();
        services.TryAddSingleton<MotionMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<MotionMonitor>());
        services.AddRpcMethods<MotionMethods>();

        // Observability: /metrics, /health*, alert thresholds.
        services.TryAddSingleton<ServiceMetrics>();
        services.TryAddSingleton<PrometheusExporter>();
        services.TryAddSingleton<ServiceClock>();
        services.TryAddSingleton<ComponentHealth>();
        services.TryAddSingleton<IApiStats, ApiStats>();
        services.TryAddSingleton<CoreGauges>();
        services.TryAddSingleton<AlertMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertMonitor>());
        var checks = services.AddHealthChecks();
        foreach (var component in new[] { "api", "camera_sources", "stream_backend", "storage", ComponentHealth.Plugins })
        {
            checks.Add(new HealthCheckRegistration(component, sp => new ComponentHealthCheck(sp.GetRequiredService<ComponentHealth>(), component), null, null));
        }

        services.TryAddSingleton<ObservabilityEndpoints>();
        services.AddSingleton<IHttpEndpointSource>(sp => sp.GetRequiredService<ObservabilityEndpoints>());
        services.TryAddSingleton<HealthPortListener>();
        services.AddHostedService(sp => sp.GetRequiredService<HealthPortListener>());

        // Signed webhooks (Notifications:Webhooks): each one an API session whose events are POSTed.
        services.AddOptions<NotificationsOptions>().BindConfiguration(NotificationsOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NotificationsOptions>, NotificationsOptionsValidator>());
        services.TryAddSingleton<WebhookMetrics>();
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }

    /// <summary>Registers a provider of JSON-RPC methods (once; also resolvable as its own type).</summary>
    internal static IServiceCollection AddRpcMethods<T>(this IServiceCollection services)
        where T : class, IRpcMethodProvider
    {
        services.TryAddSingleton<T>();
        services.AddSingleton<IRpcMethodProvider>(sp => sp.GetRequiredService<T>());
        return services;
    }
}
