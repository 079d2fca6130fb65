using System.Globalization;
using System.Text.Json;
using CameraService.Abstractions.Cameras;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Events;
using CameraService.Core.Hosting;
using CameraService.Core.Plugins;
using CameraService.Core.Rpc;
using CameraService.Core.Media;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Core.Cameras;

/// <summary>A persisted binding of a physical camera (source + stable id) to its API id, with its last known description.</summary>
internal sealed record CameraBinding(string Id, string Source, string StableId, string Name, string? DevicePath, string Resolution, double Fps)
{
    /// <summary>
    /// The camera was deleted (<see cref="CameraChangeKind.Deleted"/>, e.g. its network stream was removed): it is not
    /// listed, but the binding keeps its id reserved for the same camera.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool Deleted { get; init; }
}

/// <summary>The file format of <c>cameras.json</c>.</summary>
internal sealed record CameraBindingFile(int Version, IReadOnlyList<CameraBinding> Cameras);

/// <summary>Wire status of a camera.</summary>
internal enum CameraStatus
{
    Connected,
    Disconnected,
    Error,
}

/// <summary>A camera as the registry knows it: binding, last descriptor seen in this run (if any) and status.</summary>
internal sealed record CameraView(CameraBinding Binding, CameraDescriptor? Descriptor, CameraStatus Status, DateTimeOffset? ConnectedSince)
{
    public string Id => Binding.Id;

    public string StatusText => Status switch
    {
        CameraStatus.Connected => "CONNECTED",
        CameraStatus.Error => "ERROR",
        _ => "DISCONNECTED",
    };
}

/// <summary>
/// The camera registry: fed by every active <see cref="ICameraSource"/>, it binds each camera's
/// (source, stable id) to <c>camera&lt;N&gt;</c> and persists the binding in the state directory, so a camera
/// keeps its id across replug and restart; known cameras that are absent are listed as DISCONNECTED, deleted ones
/// (<see cref="CameraChangeKind.Deleted"/>) are not listed but keep their id reserved. It raises
/// <c>camera_status_update</c> and keeps the stream backend's publications in step (serialized per camera,
/// failures logged, never thrown into a source).
/// </summary>
internal sealed partial class CameraRegistry : IDisposable
{
    public const string FileName = "cameras.json";

    private readonly StateDirectory _state;
    private readonly ActiveComponents _components;
    private readonly IEventPublisher _events;
    private readonly RecordingBoard _recordings;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<CameraRegistry> _logger;
    private readonly int _maxCameras;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Source, string StableId), Entry> _byIdentity = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<(ICameraSource Source, EventHandler<CameraChangedEventArgs> Handler)> _attached = [];
    private IReadOnlyList<CameraView> _snapshot = [];
    private int _nextIndex;
    private int _discoveryState; // 0 not started, 1 running, 2 finished
    private IReadOnlyList<string> _failedSources = [];

    public CameraRegistry(
        StateDirectory state,
        ActiveComponents components,
        IEventPublisher events,
        IOptions<ApiOptions> options,
        TimeProvider timeProvider,
        ILogger<CameraRegistry> logger,
        RecordingBoard recordings)
    {
        ArgumentNullException.ThrowIfNull(options);
        _recordings = recordings;
        _state = state;
        _components = components;
        _events = events;
        _timeProvider = timeProvider;
        _logger = logger;
        _maxCameras = options.Value.MaxCameras;
        Load();
    }

    /// <summary>Whether every source's first discovery has finished (<c>StartAsync</c> returned or failed).</summary>
    public bool DiscoveryFinished => Volatile.Read(ref _discoveryState) == 2;

    /// <summary>Whether discovery is still running.</summary>
    public bool DiscoveryActive => Volatile.Read(ref _discoveryState) == 1;

    /// <summary>The sources whose start failed.</summary>
    public IReadOnlyList<string> FailedSources => Volatile.Read(ref _failedSources);

    /// <summary>Every known camera, ordered by id number.</summary>
    public IReadOnlyList<CameraView> Cameras => Volatile.Read(ref _snapshot);

    /// <summary>
    /// Runs before a camera that went away (unplugged or in error) is unpublished from the stream backend, with the
    /// camera id, its wire status and the reason; the recording sessions use it to finalize the camera's recording.
    /// </summary>
    public Func<string, string, string, Task>? BeforeUnpublish { get; set; }

    /// <summary>
    /// Runs after a camera was published to the stream backend (camera id), e.g. to resume a recording that was
    /// active before a restart and that the backend could not take over before the camera existed.
    /// </summary>
    public Func<string, Task>? AfterPublish { get; set; }

    /// <summary>
    /// Rewrites a descriptor a source reported before the registry uses it (e.g. the capture mode a client chose with
    /// <c>set_camera_format</c>). Runs on the source's event thread; must not block and must not throw.
    /// </summary>
    public Func<ICameraSource, CameraDescriptor, CameraDescriptor>? DescriptorFilter { get; set; }

    /// <summary>Applies a source's current descriptor again (after <see cref="DescriptorFilter"/>'s answer changed), which republishes the camera.</summary>
    public void Refresh(ICameraSource source, CameraDescriptor descriptor) => OnCameraChanged(source, new CameraChangedEventArgs { Kind = CameraChangeKind.Updated, Camera = descriptor });

    public bool TryGet(string id, out CameraView camera)
    {
        foreach (var c in Cameras)
        {
            if (string.Equals(c.Id, id, StringComparison.Ordinal))
            {
                camera = c;
                return true;
            }
        }

        camera = null!;
        return false;
    }

    /// <summary>Subscribes to every active source. Called by the lifecycle before any source starts.</summary>
    public void Attach()
    {
        lock (_gate)
        {
            if (_attached.Count > 0)
            {
                return;
            }

            foreach (var source in _components.CameraSources)
            {
                EventHandler<CameraChangedEventArgs> handler = (_, e) => OnCameraChanged(source, e);
                source.CameraChanged += handler;
                _attached.Add((source, handler));
            }

            _discoveryState = 1;
        }
    }

    /// <summary>Marks the first discovery as finished.</summary>
    public void CompleteDiscovery(IReadOnlyList<string> failedSources)
    {
        Volatile.Write(ref _failedSources, failedSources);
        Volatile.Write(ref _discoveryState, 2);
        LogDiscoveryFinished(_logger, Cameras.Count(c => c.Status == CameraStatus.Connected), failedSources.Count);
    }

    /// <summary>Unsubscribes from the sources and cancels pending backend calls.</summary>
    public void Detach()
    {
        lock (_gate)
        {
            foreach (var (source, handler) in _attached)
            {
                source.CameraChanged -= handler;
            }

            _attached.Clear();
        }

        _stopping.Cancel();
    }

    public void Dispose()
    {
        Detach();
        _stopping.Dispose();
    }

    /// <summary>Stream URLs of a camera, null-safe when no backend is active or it fails.</summary>
    public CameraStreams StreamsOf(CameraView camera)
    {
        if (camera.Status != CameraStatus.Connected || _components.StreamBackend is not { } backend)
        {
            return CameraStreams.None;
        }

        try
        {
            var urls = backend.GetStreamUrls(camera.Id);
            return new CameraStreams(urls.Rtsp, urls.Hls, urls.WebRtc);
        }
        catch (Exception ex) // a failing backend must not break camera listing; the URLs are left out
        {
            LogBackendFailed(_logger, ex, "GetStreamUrls", camera.Id);
            return CameraStreams.None;
        }
    }

    private void OnCameraChanged(ICameraSource source, CameraChangedEventArgs e)
    {
        try
        {
            Apply(source, e);
        }
        catch (Exception ex) // a source must never see an exception from its event (ICameraSource contract)
        {
            LogHandlerFailed(_logger, ex, source.Name, e.Camera.StableId);
        }
    }

    private void Apply(ICameraSource source, CameraChangedEventArgs e)
    {
        var gone = e.Kind is CameraChangeKind.Removed or CameraChangeKind.Deleted;
        var descriptor = !gone && DescriptorFilter is { } filter ? filter(source, e.Camera) : e.Camera;
        var key = (source.Name, descriptor.StableId);
        Entry entry;
        CameraView view;
        EventTopics topic;
        bool persist;
        lock (_gate)
        {
            if (!_byIdentity.TryGetValue(key, out entry!))
            {
                if (gone)
                {
                    return;
                }

                if (_byId.Count >= _maxCameras)
                {
                    LogTooManyCameras(_logger, descriptor.StableId, _maxCameras);
                    return;
                }

                var id = "camera" + _nextIndex.ToString(CultureInfo.InvariantCulture);
                _nextIndex++;
                entry = new Entry(new CameraBinding(id, source.Name, descriptor.StableId, descriptor.Name, descriptor.DevicePath, "", 0));
                _byId.Add(id, entry);
                _byIdentity.Add(key, entry);
                LogBound(_logger, descriptor.StableId, source.Name, id);
            }

            var wasConnected = entry.Present && entry.Descriptor?.State == CameraState.Available;
            if (gone)
            {
                entry.Present = false;
                entry.ConnectedSince = null;
                topic = EventTopics.CameraDisconnected;
            }
            else
            {
                var wasPresent = entry.Present;
                entry.Present = true;
                if (!wasConnected && descriptor.State == CameraState.Available)
                {
                    entry.ConnectedSince = _timeProvider.GetUtcNow();
                }

                topic = !wasPresent && descriptor.State == CameraState.Available ? EventTopics.CameraConnected : EventTopics.CameraStatusChange;
            }

            entry.Descriptor = descriptor;
            var (resolution, fps) = ModeOf(descriptor);
            var updated = entry.Binding with
            {
                Name = descriptor.Name,
                DevicePath = descriptor.DevicePath ?? entry.Binding.DevicePath,
                Resolution = resolution.Length > 0 ? resolution : entry.Binding.Resolution,
                Fps = fps > 0 ? fps : entry.Binding.Fps,
                Deleted = e.Kind == CameraChangeKind.Deleted,
            };
            persist = updated != entry.Binding;
            entry.Binding = updated;
            view = entry.View();
            RebuildSnapshot();
            if (persist)
            {
                Save();
            }

            var publish = !gone && descriptor.State == CameraState.Available && descriptor.CaptureInput is not null;
            if (publish || wasConnected || gone)
            {
                var input = descriptor.CaptureInput;
                entry.BackendChain = entry.BackendChain.ContinueWith(
                    _ => publish ? PublishAsync(view, input!) : UnpublishAsync(view.Id, view.StatusText, descriptor.Error ?? "the camera was unplugged"),
                    CancellationToken.None,
                    TaskContinuationOptions.None,
                    TaskScheduler.Default).Unwrap();
            }
        }

        var (res, rate) = (view.Binding.Resolution, view.Binding.Fps);
        var recording = _recordings.Of(view.Id);
        _events.PublishCameraStatus(
            new CameraStatusEvent(view.Id, view.StatusText, view.Binding.Name, res, rate, StreamsOf(view), view.Binding.StableId,
                recording.Recording, recording.RecordingSession, recording.CurrentFile, recording.ElapsedTime),
            topic);
    }

    private async Task PublishAsync(CameraView camera, CaptureInput input)
    {
        if (_components.StreamBackend is not { } backend)
        {
            return;
        }

        if (_components.MediaStore is not { } store)
        {
            LogNoStore(_logger, camera.Id);
            return;
        }

        try
        {
            var directory = store.GetRecordingDirectory(camera.Id);
            await backend.PublishAsync(new StreamCamera { CameraId = camera.Id, Name = camera.Binding.Name, Input = input, RecordingDirectory = directory }, _stopping.Token).ConfigureAwait(false);
            if (AfterPublish is { } hook)
            {
                await hook(camera.Id).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Shutting down: the backend stops everything itself.
        }
        catch (Exception ex) // backend failures degrade streaming of this camera only; the registry and the source go on
        {
            LogBackendFailed(_logger, ex, "PublishAsync", camera.Id);
        }
    }

    private async Task UnpublishAsync(string cameraId, string state, string reason)
    {
        if (_components.StreamBackend is not { } backend)
        {
            return;
        }

        try
        {
            // Work that must finish while the camera is still published (finalizing its recording) runs first.
            if (BeforeUnpublish is { } hook)
            {
                await hook(cameraId, state, reason).ConfigureAwait(false);
            }

            await backend.UnpublishAsync(cameraId, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Shutting down: the backend stops everything itself.
        }
        catch (Exception ex) // backend failures degrade streaming of this camera only
        {
            LogBackendFailed(_logger, ex, "UnpublishAsync", cameraId);
        }
    }

    /// <summary>The capture mode's resolution and frame rate, else the largest offered size.</summary>
    internal static (string Resolution, double Fps) ModeOf(CameraDescriptor descriptor)
    {
        if (descriptor.CaptureInput is { Video.Width: > 0 } input)
        {
            return (Format(input.Video.Width, input.Video.Height), input.Video.FrameRate);
        }

        var best = descriptor.Formats.SelectMany(f => f.Sizes).OrderByDescending(s => (long)s.Width * s.Height).FirstOrDefault();
        return best is null ? (string.Empty, 0) : (Format(best.Width, best.Height), best.FrameRates.Count > 0 ? best.FrameRates.Max() : 0);
    }

    internal static string Format(int width, int height) =>
        width.ToString(CultureInfo.InvariantCulture) + "x" + height.ToString(CultureInfo.InvariantCulture);

    private void RebuildSnapshot() =>
        Volatile.Write(ref _snapshot, _byId.Values.Where(e => !e.Binding.Deleted).Select(e => e.View()).OrderBy(v => IndexOf(v.Id)).ToArray());

    private static int IndexOf(string id) =>
        int.TryParse(id.AsSpan("camera".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue;

    private void Load()
    {
        var bytes = _state.ReadOrNull(FileName);
        if (bytes is null)
        {
            return;
        }

        CameraBindingFile? file;
        try
        {
            file = JsonSerializer.Deserialize(bytes, CoreJsonContext.Default.CameraBindingFile);
        }
        catch (JsonException ex)
        {
            // Keep the damaged file for the operator and start over rather than refusing to start.
            var backup = _state.PathOf(FileName + ".damaged");
            File.Copy(_state.PathOf(FileName), backup, overwrite: true);
            LogDamaged(_logger, ex, backup);
            return;
        }

        foreach (var binding in file?.Cameras ?? [])
        {
            if (!binding.Id.StartsWith("camera", StringComparison.Ordinal) || IndexOf(binding.Id) == int.MaxValue || _byId.ContainsKey(binding.Id))
            {
                continue;
            }

            var entry = new Entry(binding);
            _byId.Add(binding.Id, entry);
            _byIdentity[(binding.Source, binding.StableId)] = entry;
            _nextIndex = Math.Max(_nextIndex, IndexOf(binding.Id) + 1);
        }

        RebuildSnapshot();
    }

    private void Save()
    {
        var file = new CameraBindingFile(1, _byId.Values.Select(e => e.Binding).OrderBy(b => IndexOf(b.Id)).ToArray());
        try
        {
            _state.WriteAtomic(FileName, JsonSerializer.SerializeToUtf8Bytes(file, CoreJsonContext.Default.CameraBindingFile));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogSaveFailed(_logger, ex, _state.PathOf(FileName));
        }
    }

    private sealed class Entry(CameraBinding binding)
    {
        public CameraBinding Binding { get; set; } = binding;

        public CameraDescriptor? Descriptor { get; set; }

        public bool Present { get; set; }

        public DateTimeOffset? ConnectedSince { get; set; }

        public Task BackendChain { get; set; } = Task.CompletedTask;

        public CameraView View()
        {
            var status = !Present ? CameraStatus.Disconnected
                : Descriptor?.State == CameraState.Available ? CameraStatus.Connected
                : CameraStatus.Error;
            return new CameraView(Binding, Descriptor, status, ConnectedSince);
        }
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Camera {StableId} of source {Source} is {CameraId}")]
    private static partial void LogBound(ILogger logger, string stableId, string source, string cameraId);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "The stream backend call {Operation} failed for {CameraId}; streaming of this camera is degraded")]
    private static partial void LogBackendFailed(ILogger logger, Exception exception, string operation, string cameraId);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Error, Message = "Handling a change of camera {StableId} from source {Source} failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string source, string stableId);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Warning, Message = "Camera {StableId} ignored: Api:MaxCameras ({Max}) cameras are already known; raise the limit or remove entries from the state file")]
    private static partial void LogTooManyCameras(ILogger logger, string stableId, int max);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Error, Message = "The camera id file was damaged and has been set aside as {Backup}; camera ids start over")]
    private static partial void LogDamaged(ILogger logger, Exception exception, string backup);

    [LoggerMessage(EventId = 1406, Level = LogLevel.Error, Message = "Saving camera ids to {Path} failed; ids stay valid until restart")]
    private static partial void LogSaveFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 1407, Level = LogLevel.Information, Message = "First camera discovery finished: {Connected} connected, {Failed} source(s) failed")]
    private static partial void LogDiscoveryFinished(ILogger logger, int connected, int failed);

    [LoggerMessage(EventId = 1408, Level = LogLevel.Warning, Message = "Camera {CameraId} is not published: no media store is active to give its recording directory")]
    private static partial void LogNoStore(ILogger logger, string cameraId);
}
