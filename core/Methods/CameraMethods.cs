using System.Text.Json;
using CameraService.Abstractions.Cameras;
using CameraService.Core.Cameras;
using CameraService.Core.Events;
using CameraService.Core.Auth;
using CameraService.Core.Media;
using CameraService.Core.Plugins;
using CameraService.Core.Rpc;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Methods;

/// <summary><c>get_camera_list</c>, <c>get_camera_status</c>, <c>get_camera_capabilities</c>, served from the registry.</summary>
internal sealed partial class CameraMethods(
    CameraRegistry registry,
    ActiveComponents components,
    Cameras.Controls.CameraControlsService controls,
    RecordingBoard recordings,
    TimeProvider timeProvider,
    ILogger<CameraMethods> logger) : IRpcMethodProvider
{
    public const string DevicePattern = "^camera[0-9]+$";

    // Stream metrics of get_camera_status are read from the backend at most once per second per camera (issue 26):
    // with MediaMTX each read is an HTTP call, which cost more than the rest of the request under load. Monitoring
    // figures up to a second old are what a polling client sees anyway (docs/api.md).
    private static readonly TimeSpan StreamMetricsMaxAge = TimeSpan.FromSeconds(1);

    // The unscoped get_camera_list answer and what it was built from (see ListResult).
    private CachedCameraList? _listCache;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, StreamMetricsReading> _streamMetrics = new(StringComparer.Ordinal);

    // Per registry view (dropped with it): see Derived.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<CameraView, ViewExtras> _derived = [];

    /// <summary>The <c>device</c> parameter, shared by every per-camera method (media methods use it too).</summary>
    public static RpcParam DeviceParam { get; } = new("device", RpcParamType.String, "Camera id (camera<N>).", Required: true) { Pattern = DevicePattern, MaxLength = 32 };

    public IEnumerable<RpcMethod> GetMethods()
    {
        yield return new RpcMethod(
            "get_camera_list",
            RpcRole.Viewer,
            "Every known camera, including known-but-disconnected ones (status DISCONNECTED).",
            [],
            CoreJsonContext.Default.CameraListResult,
            [],
            (c, _, _) => ValueTask.FromResult(ListResult(c.Session.Principal?.Scope ?? CameraScope.All)));

        yield return new RpcMethod(
            "get_camera_status",
            RpcRole.Viewer,
            "One camera with stream metrics and a capability summary.",
            [DeviceParam],
            CoreJsonContext.Default.CameraStatusResult,
            [RpcErrorCodes.NotFound],
            StatusAsync);

        yield return new RpcMethod(
            "get_camera_capabilities",
            RpcRole.Viewer,
            "Formats, resolutions, frame rates per resolution, controls and audio of a camera.",
            [DeviceParam],
            CoreJsonContext.Default.CameraCapabilitiesResult,
            [RpcErrorCodes.NotFound],
            CapabilitiesAsync);
    }

    /// <summary>The contract's <c>Camera</c> object for a registry entry.</summary>
    public CameraInfo ToInfo(CameraView camera)
    {
        var recording = recordings.Of(camera.Id);
        return new(
            camera.Id,
            camera.StatusText,
            camera.Binding.Name,
            camera.Binding.Resolution,
            camera.Binding.Fps,
            Derived(camera).Streams,
            camera.Binding.StableId,
            camera.Binding.DevicePath,
            camera.Binding.Source,
            recording.Recording,
            recording.RecordingSession,
            recording.CurrentFile,
            recording.ElapsedTime);
    }

    /// <summary>The camera named by the <c>device</c> parameter, or -32010.</summary>
    public CameraView Find(RpcParams parameters)
    {
        var id = parameters.GetRequiredString("device");
        return registry.TryGet(id, out var camera) ? camera : throw RpcErrorException.NotFound("camera", id);
    }

    /// <summary>
    /// <c>get_camera_list</c>'s answer. For callers without a camera scope (the same list whatever their role) it is
    /// served pre-serialized from <see cref="_listCache"/> while the registry's snapshot (replaced on every camera
    /// change: plug, unplug, status, name, mode) and the stream backend are the ones it was built from and no camera
    /// records (a recording's elapsed time and current file change by the second). Scoped callers always get a list
    /// built for their scope, so they never see another scope's cameras.
    /// </summary>
    internal RpcResult ListResult(CameraScope scope)
    {
        var snapshot = registry.Cameras;
        var backend = components.StreamBackend;
        if (!scope.IsLimited && Volatile.Read(ref _listCache) is { } cached
            && ReferenceEquals(cached.Snapshot, snapshot) && ReferenceEquals(cached.Backend, backend) && !AnyRecording(snapshot))
        {
            return cached.Result;
        }

        var list = List(snapshot, scope);
        if (scope.IsLimited || list.Cameras.Any(c => c.Recording))
        {
            return RpcResult.From(list, CoreJsonContext.Default.CameraListResult);
        }

        var result = RpcResult.Raw(JsonSerializer.SerializeToUtf8Bytes(list, CoreJsonContext.Default.CameraListResult));
        Volatile.Write(ref _listCache, new CachedCameraList(snapshot, backend, result));
        return result;
    }

    private bool AnyRecording(IReadOnlyList<CameraView> cameras)
    {
        // TryGetValue reads without a lock (ConcurrentDictionary.IsEmpty would take all of them when empty).
        var active = recordings.Active;
        foreach (var camera in cameras)
        {
            if (active.TryGetValue(camera.Id, out var session) && session.Status == RecordingStatus.Recording)
            {
                return true;
            }
        }

        return false;
    }

    private CameraListResult List(IReadOnlyList<CameraView> snapshot, CameraScope scope)
    {
        var cameras = snapshot.Where(c => scope.Allows(c.Id)).ToList();
        var infos = new List<CameraInfo>(cameras.Count);
        var connected = 0;
        foreach (var camera in cameras)
        {
            infos.Add(ToInfo(camera));
            if (camera.Status == CameraStatus.Connected)
            {
                connected++;
            }
        }

        return new CameraListResult(infos, infos.Count, connected);
    }

    private async ValueTask<RpcResult> StatusAsync(RpcCallContext context, RpcParams parameters, CancellationToken cancellationToken)
    {
        var camera = Find(parameters);
        long bytesSent = 0;
        var readers = 0;
        if (camera.Status == CameraStatus.Connected && components.StreamBackend is { } backend)
        {
            var now = timeProvider.GetTimestamp();
            if (_streamMetrics.TryGetValue(camera.Id, out var cached) && ReferenceEquals(cached.Backend, backend)
                && timeProvider.GetElapsedTime(cached.At, now) < StreamMetricsMaxAge)
            {
                (bytesSent, readers) = (cached.BytesSent, cached.Readers);
            }
            else
            {
                try
                {
                    var stream = await backend.GetStreamAsync(camera.Id, cancellationToken).ConfigureAwait(false);
                    bytesSent = stream.BytesSent;
                    readers = stream.Readers;
                    _streamMetrics[camera.Id] = new StreamMetricsReading(backend, now, bytesSent, readers);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // A dead backend must not break camera status: stream metrics read as zero, the backend's health says why.
                    LogStreamUnavailable(logger, ex, camera.Id);
                }
            }
        }

        var uptime = camera.ConnectedSince is { } since ? (long)(timeProvider.GetUtcNow() - since).TotalSeconds : 0;
        var info = ToInfo(camera);
        var result = new CameraStatusResult(info, new CameraStreamMetrics(bytesSent, readers, uptime), Derived(camera).Summary);
        return RpcResult.From(result, CoreJsonContext.Default.CameraStatusResult);
    }

    private async ValueTask<RpcResult> CapabilitiesAsync(RpcCallContext context, RpcParams parameters, CancellationToken cancellationToken)
    {
        var camera = Find(parameters);
        var result = Capabilities(camera) with
        {
            FrameRates = FrameRates(camera),
            Controls = await controls.CapabilityControlsAsync(camera, cancellationToken).ConfigureAwait(false),

            // The source pairs the audio with the capture input (an ALSA device, a stream's audio track, a tone).
            Audio = camera.Descriptor?.CaptureInput?.Audio is not null,
        };
        return RpcResult.From(result, CoreJsonContext.Default.CameraCapabilitiesResult);
    }

    /// <summary>Frame rates per "WxH" over every format, descending, largest resolution first.</summary>
    internal static Dictionary<string, IReadOnlyList<double>> FrameRates(CameraView camera)
    {
        var rates = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal);
        var sizes = (camera.Descriptor?.Formats ?? []).SelectMany(f => f.Sizes)
            .GroupBy(s => (s.Width, s.Height))
            .OrderByDescending(g => (long)g.Key.Width * g.Key.Height)
            .ThenByDescending(g => g.Key.Width);
        foreach (var size in sizes)
        {
            rates[CameraRegistry.Format(size.Key.Width, size.Key.Height)] =
                [.. size.SelectMany(s => s.FrameRates).Select(r => Math.Round(r, 3)).Distinct().OrderByDescending(r => r)];
        }

        return rates;
    }

    internal static CameraCapabilitiesResult Capabilities(CameraView camera)
    {
        var formats = camera.Descriptor?.Formats ?? [];
        var fourccs = formats.Select(f => f.FourCc).Distinct(StringComparer.Ordinal).ToList();
        var sizes = formats.SelectMany(f => f.Sizes).ToList();
        var resolutions = sizes
            .GroupBy(s => (s.Width, s.Height))
            .OrderByDescending(g => (long)g.Key.Width * g.Key.Height)
            .ThenByDescending(g => g.Key.Width)
            .Select(g => CameraRegistry.Format(g.Key.Width, g.Key.Height))
            .ToList();
        var fps = sizes.SelectMany(s => s.FrameRates).Select(r => Math.Round(r, 3)).Distinct().OrderByDescending(r => r).ToList();
        var validation = camera.Status switch
        {
            CameraStatus.Disconnected => "DISCONNECTED",
            CameraStatus.Connected when fourccs.Count > 0 && camera.Descriptor?.State == CameraState.Available => "CONFIRMED",
            _ => "NONE",
        };
        return new CameraCapabilitiesResult(camera.Id, fourccs, resolutions, fps, validation);
    }

    /// <summary>
    /// What a camera object derives from a registry view and the backend (stream URLs, the capability summary), kept with
    /// the view: views are immutable and replaced on every change, so the figures are computed once per view and
    /// backend instead of on every <c>get_camera_status</c> (issue 26: they were most of its allocations).
    /// </summary>
    private ViewExtras Derived(CameraView camera)
    {
        var backend = components.StreamBackend;
        if (_derived.TryGetValue(camera, out var known) && ReferenceEquals(known.Backend, backend))
        {
            return known;
        }

        var caps = Capabilities(camera);
        var streams = registry.StreamsOf(camera);
        var extras = new ViewExtras(backend, streams, new CameraCapabilitySummary(caps.Formats, caps.Resolutions));
        if (!(ReferenceEquals(streams, CameraStreams.None) && backend is not null && camera.Status == CameraStatus.Connected))
        {
            // Not kept when the backend failed to give the URLs (StreamsOf logged it): the next call asks again.
            _derived.AddOrUpdate(camera, extras);
        }

        return extras;
    }

    private sealed record ViewExtras(object? Backend, CameraStreams Streams, CameraCapabilitySummary Summary);

    private sealed record StreamMetricsReading(object Backend, long At, long BytesSent, int Readers);

    private sealed record CachedCameraList(IReadOnlyList<CameraView> Snapshot, object? Backend, RpcResult Result);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Debug, Message = "Stream metrics of {CameraId} are unavailable")]
    private static partial void LogStreamUnavailable(ILogger logger, Exception exception, string cameraId);
}
