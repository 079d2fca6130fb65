using System.Diagnostics;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.Shared;
using CameraService.Plugins.V4l2.Controls;
using CameraService.Plugins.V4l2.Discovery;
using CameraService.Plugins.V4l2.HotPlug;
using CameraService.Plugins.V4l2.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.V4l2;

/// <summary>
/// The V4L2 camera source: discovery and identity of capture nodes (<see cref="DeviceProber"/>,
/// <see cref="IdentityResolver"/>), fed by <see cref="HotPlugSignals"/> (netlink, inotify, reconcile), plus the
/// camera's controls (<see cref="V4l2Controls"/>) and client-chosen capture modes. All discovery work runs on one
/// loop that reads the signals in debounced batches; events are raised from that loop only, so never concurrently.
/// </summary>
internal sealed class V4l2CameraSource : ICameraSource, ICameraControls, ICameraCaptureModes, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly V4l2Options _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeviceProber _prober;
    private readonly IdentityResolver _identities;
    private readonly AudioPairing _audio;
    private readonly HotPlugSignals _hotPlug;
    private readonly BackgroundLoops _loops;
    private readonly V4l2Controls _controls;
    private readonly Dictionary<string, NodeState> _nodes = new(StringComparer.Ordinal);
    private readonly Lock _published = new();
    private readonly Lock _controlEvents = new();
    private Dictionary<string, CameraDescriptor> _cameras = new(StringComparer.Ordinal);
    private volatile bool _stopped;
    private int _startCalls;
    private Task? _stopTask;

    public V4l2CameraSource(IOptions<V4l2Options> options, IVideoSyscalls syscalls, TimeProvider time, ILogger<V4l2CameraSource> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(syscalls);
        _options = options.Value;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _prober = new DeviceProber(syscalls);
        _identities = new IdentityResolver(_options.DeviceRoot, _options.SysfsRoot);
        _audio = new AudioPairing(_options.SysfsRoot, _options.ProcfsRoot);
        _hotPlug = new HotPlugSignals(_options, syscalls, time, logger);
        _loops = new BackgroundLoops(logger, time);
        _controls = new V4l2Controls(syscalls, FindCamera, RaiseControlsChanged);
    }

    public string Name => CameraDescriptors.SourceName;

    public event EventHandler<CameraChangedEventArgs>? CameraChanged;

    public event EventHandler<CameraControlsChangedEventArgs>? ControlsChanged;

    /// <summary>True while the netlink listener runs (tests and diagnostics).</summary>
    internal bool NetlinkActive => _hotPlug.NetlinkActive;

    /// <summary>The background loops still running (tests: zero after stop means nothing can raise an event any more).</summary>
    internal int RunningLoops => _loops.Running;

    public IReadOnlyList<CameraDescriptor> GetCameras()
    {
        lock (_published)
        {
            return [.. _cameras.Values.OrderBy(c => c.StableId, StringComparer.Ordinal)];
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _startCalls, 1) != 0)
        {
            throw new InvalidOperationException("The v4l2 camera source was already started.");
        }

        if (!Directory.Exists(_options.DeviceRoot))
        {
            Log.DeviceRootMissing(_logger, _options.DeviceRoot);
        }

        // Signals first, so that nothing plugged during the first scan is missed: it waits in the channel.
        _loops.Start();
        _hotPlug.Start(_loops);
        var started = Stopwatch.GetTimestamp();
        await Task.Run(() => ScanAll(initial: true), cancellationToken).ConfigureAwait(false);
        Log.DiscoveryFinished(_logger, GetCameras().Count, _options.DeviceRoot, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        _loops.Run("discovery", ProcessSignalsAsync);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        lock (_published)
        {
            // Stop is idempotent (the host may stop and the container dispose the same instance twice).
            _stopTask ??= StopOnceAsync();
        }

        return _stopTask.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Handles one netlink datagram (also the entry point for tests with synthetic uevents).</summary>
    internal bool OnUevent(ReadOnlySpan<byte> datagram) => _hotPlug.OnUevent(datagram);

    public Task<IReadOnlyList<CameraControlInfo>> GetControlsAsync(string stableId, CancellationToken cancellationToken) =>
        _controls.GetAsync(stableId, cancellationToken);

    public Task<CameraControlSetResult> SetControlsAsync(string stableId, IReadOnlyDictionary<string, long> values, CameraControlApplyMode mode, CancellationToken cancellationToken) =>
        _controls.SetAsync(stableId, values, mode, cancellationToken);

    public Task<CameraControlSetResult> ResetControlsAsync(string stableId, CancellationToken cancellationToken) =>
        _controls.ResetAsync(stableId, cancellationToken);

    /// <summary>A capture mode chosen by a client (<c>set_camera_format</c>), built like a configured per-camera override.</summary>
    public CaptureInput SelectCaptureInput(string stableId, CameraCaptureMode mode)
    {
        ArgumentNullException.ThrowIfNull(stableId);
        ArgumentNullException.ThrowIfNull(mode);
        if (FindCamera(stableId) is not { DevicePath: { } path, State: CameraState.Available } camera)
        {
            throw new ResourceNotFoundException("camera", stableId, "The camera is not connected; plug it in and try again.");
        }

        var wanted = new V4l2CameraOptions { PixelFormat = mode.Format, Width = mode.Width, Height = mode.Height, Fps = mode.FrameRate };
        var (input, problem) = CaptureInputSelector.Select(path, camera.Formats, _options, wanted);
        // The microphone stays with the camera whatever video mode a client chooses.
        return input is not null && problem is null
            ? input with { Audio = camera.CaptureInput?.Audio }
            : throw new InvalidParameterException("format", "the camera offers no capturable mode " + mode.Format + " " + mode.Width + "x" + mode.Height + "@" + mode.FrameRate);
    }

    private CameraDescriptor? FindCamera(string stableId)
    {
        lock (_published)
        {
            return _cameras.GetValueOrDefault(stableId);
        }
    }

    private async Task StopOnceAsync()
    {
        _hotPlug.Stop();
        _controls.Stop();
        await _loops.StopAsync().ConfigureAwait(false);
        _loops.Dispose();
    }

    private async Task ProcessSignalsAsync(CancellationToken token)
    {
        await foreach (var batch in _hotPlug.ReadBatchesAsync(token).ConfigureAwait(false))
        {
            try
            {
                if (batch.FullRescan)
                {
                    ScanAll(initial: false);
                }
                else
                {
                    ProcessBatch(batch.Nodes);
                }
            }
            catch (Exception ex)
            {
                // Whatever a broken device or file system throws, the loop must survive: it is the plugin's only worker.
                Log.ProcessingFailed(_logger, ex);
            }
        }
    }

    private void ScanAll(bool initial)
    {
        var present = ListNodes();
        var batch = new HashSet<string>(present, StringComparer.Ordinal);
        foreach (var known in _nodes.Keys)
        {
            if (!present.Contains(known))
            {
                batch.Add(known);
            }
        }

        if (initial)
        {
            ProcessBatch(batch, initial: true);
            return;
        }

        // A reconcile re-probes what is new, gone, failing or pending; a healthy camera is re-probed only
        // when its identity or its paired microphone changed (e.g. another camera now sits at its node, or the sound
        // card of its USB device bound after the video node), which costs no ioctl to find out.
        batch.RemoveWhere(node => _nodes.TryGetValue(node, out var state) && present.Contains(node)
            && state.Kind is NodeKind.Camera or NodeKind.Ignored
            && _identities.Resolve(node, state.BusInfo).StableId == state.BaseStableId
            && (state.Kind == NodeKind.Ignored || Equals(PairedAudio(node), state.Audio)));
        ProcessBatch(batch);
    }

    private HashSet<string> ListNodes()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(_options.DeviceRoot, "video*"))
            {
                var name = Path.GetFileName(entry);
                if (HotPlugSignals.IsVideoNode(name) && !Directory.Exists(entry))
                {
                    result.Add(name);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A missing or unreadable device root has no cameras; the reconcile looks again later.
        }

        return result;
    }

    private void ProcessBatch(IEnumerable<string> batch, bool initial = false)
    {
        // Present nodes first: a camera that moved from videoN to videoM is then seen at its new node before
        // the old node's removal, and is reported as updated rather than removed and added.
        var ordered = batch.Select(n => (Node: n, Exists: NodeExists(n)))
            .OrderByDescending(n => n.Exists).ThenBy(n => n.Node, StringComparer.Ordinal).ToList();
        foreach (var (node, exists) in ordered)
        {
            try
            {
                if (exists)
                {
                    ProbeNode(node, initial);
                }
                else
                {
                    Forget(node);
                }
            }
            catch (Exception ex)
            {
                // One node whose probe throws (a broken fake, an odd file system) must not hide the others,
                // nor fail StartAsync; the reconcile looks at it again.
                Log.NodeFailed(_logger, node, ex);
            }
        }
    }

    private bool NodeExists(string node) => File.Exists(Path.Combine(_options.DeviceRoot, node));

    private void ProbeNode(string node, bool initial)
    {
        var now = _time.GetUtcNow();
        var path = Path.Combine(_options.DeviceRoot, node);
        _nodes.TryGetValue(node, out var state);
        var outcome = _prober.Probe(path);
        var identity = _identities.Resolve(node, outcome.Device?.BusInfo);
        switch (outcome.Status)
        {
            case ProbeStatus.NotCapture:
                Log.NotCapture(_logger, node);
                ForgetCamera(node);
                _nodes[node] = new NodeState(NodeKind.Ignored, null, identity.StableId, now, 0, null, null);
                return;

            case ProbeStatus.Failed when outcome.Error.Failure == DeviceFailure.Gone:
                Forget(node);
                return;

            case ProbeStatus.Failed when outcome.Error.Failure == DeviceFailure.Busy && state?.Kind == NodeKind.Camera:
                // A working camera that turns busy is most likely streaming for this very service (single-open
                // drivers): keep its last description instead of flagging it as an error.
                return;

            case ProbeStatus.Failed when !initial && IsTransient(outcome.Error.Failure) && state?.Kind is null or NodeKind.Pending:
                var firstSeen = state?.FirstSeen ?? now;
                var attempt = (state?.Attempts ?? 0) + 1;
                var remaining = firstSeen + _options.ProbeTimeout - now;
                if (remaining > TimeSpan.Zero)
                {
                    var delay = TimeSpan.FromTicks(Math.Min(
                        Math.Min(FirstRetryDelay.Ticks << Math.Min(attempt - 1, 10), MaxRetryDelay.Ticks), remaining.Ticks));
                    _nodes[node] = new NodeState(NodeKind.Pending, null, null, firstSeen, attempt, null, null);
                    Log.ProbeRetry(_logger, node, outcome.Error.ToString(), attempt, (long)delay.TotalMilliseconds);
                    _hotPlug.SignalLater(node, delay, _loops);
                    return;
                }

                break;
        }

        var audio = outcome.Status == ProbeStatus.Capture ? PairedAudio(node) : null;
        var descriptor = outcome.Status == ProbeStatus.Capture
            ? CameraDescriptors.Describe(path, identity.StableId, outcome.Device!, _options, audio, _logger)
            : CameraDescriptors.Error(path, identity.StableId, outcome.Card ?? identity.SysfsName ?? node, outcome.Error);
        Publish(node, identity.StableId, outcome.Device?.BusInfo, audio, descriptor, now, state);
    }

    /// <summary>The microphone of the node's USB device, or null (none, or pairing turned off by <c>Plugins:V4l2:Audio</c>).</summary>
    private AudioInput? PairedAudio(string node) => _options.Audio ? _audio.Find(node) : null;

    private static bool IsTransient(DeviceFailure failure) =>
        failure is DeviceFailure.NotReady or DeviceFailure.NoDevice or DeviceFailure.PermissionDenied or DeviceFailure.Other;

    private void Publish(string node, string baseStableId, string? busInfo, AudioInput? audio, CameraDescriptor descriptor, DateTimeOffset now, NodeState? previous)
    {
        // Two nodes claiming one id (two cameras sharing a serial number): the later node gets a suffixed id.
        var stableId = baseStableId;
        var holder = _nodes.FirstOrDefault(n => n.Key != node && n.Value.StableId == baseStableId);
        if (holder.Key is not null)
        {
            if (NodeExists(holder.Key))
            {
                stableId = $"{baseStableId}-{node}";
            }
            else
            {
                // The camera moved to this node: take its id over, report it as updated.
                _nodes.Remove(holder.Key);
            }
        }

        descriptor = descriptor with { StableId = stableId };
        if (previous?.StableId is { } oldId && oldId != stableId)
        {
            Remove(oldId);
        }

        _nodes[node] = new NodeState(
            descriptor.State == CameraState.Available ? NodeKind.Camera : NodeKind.Failed, stableId, baseStableId, previous?.FirstSeen ?? now, 0, busInfo, audio);
        CameraDescriptor? old;
        lock (_published)
        {
            _cameras.TryGetValue(stableId, out old);
            if (old is not null && DescriptorEquality.Same(old, descriptor))
            {
                return;
            }

            _cameras = new Dictionary<string, CameraDescriptor>(_cameras, StringComparer.Ordinal) { [stableId] = descriptor };
        }

        if (descriptor.State == CameraState.Error)
        {
            Log.CameraError(_logger, stableId, descriptor.DevicePath, descriptor.Error ?? "");
        }

        if (old is null)
        {
            Log.CameraAdded(_logger, stableId, descriptor.DevicePath, descriptor.State.ToString());
            Raise(CameraChangeKind.Added, descriptor);
        }
        else
        {
            Log.CameraUpdated(_logger, stableId, descriptor.DevicePath, descriptor.State.ToString());
            Raise(CameraChangeKind.Updated, descriptor);
        }
    }

    private void Forget(string node)
    {
        ForgetCamera(node);
        _nodes.Remove(node);
    }

    private void ForgetCamera(string node)
    {
        if (_nodes.TryGetValue(node, out var state) && state.StableId is { } id)
        {
            Remove(id);
        }
    }

    private void Remove(string stableId)
    {
        CameraDescriptor? old;
        lock (_published)
        {
            if (!_cameras.TryGetValue(stableId, out old))
            {
                return;
            }

            var copy = new Dictionary<string, CameraDescriptor>(_cameras, StringComparer.Ordinal);
            copy.Remove(stableId);
            _cameras = copy;
        }

        Log.CameraRemoved(_logger, stableId, old.DevicePath);
        Raise(CameraChangeKind.Removed, old);
    }

    private void Raise(CameraChangeKind kind, CameraDescriptor descriptor)
    {
        if (_stopped)
        {
            return;
        }

        _controls.Track(kind, descriptor);
        try
        {
            CameraChanged?.Invoke(this, new CameraChangedEventArgs { Kind = kind, Camera = descriptor });
        }
        catch (Exception ex)
        {
            // A subscriber's bug must not stop discovery for every other camera.
            Log.HandlerFailed(_logger, descriptor.StableId, ex);
        }
    }

    private void RaiseControlsChanged(string stableId, IReadOnlyDictionary<string, long> values)
    {
        if (_stopped || values.Count == 0)
        {
            return;
        }

        lock (_controlEvents)
        {
            try
            {
                ControlsChanged?.Invoke(this, new CameraControlsChangedEventArgs { StableId = stableId, Values = values });
            }
            catch (Exception ex)
            {
                // A subscriber's bug must not stop the watcher.
                Log.HandlerFailed(_logger, stableId, ex);
            }
        }
    }

    private enum NodeKind
    {
        Pending,
        Camera,
        Failed,
        Ignored,
    }

    private sealed record NodeState(NodeKind Kind, string? StableId, string? BaseStableId, DateTimeOffset FirstSeen, int Attempts, string? BusInfo, AudioInput? Audio);
}
