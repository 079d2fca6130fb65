using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Discovery;
using CameraService.Plugins.V4l2.HotPlug;
using CameraService.Plugins.V4l2.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.V4l2;

/// <summary>
/// The V4L2 camera source. All discovery work runs on one loop fed by a channel of signals (a node name, or
/// null for a full rescan) from three producers: the netlink uevent listener (primary), an inotify watch on the
/// device root (second) and a periodic reconcile (safety net). Signals arriving within the debounce interval are
/// merged, so one plug probes each node once. Events are raised from that loop only, so never concurrently.
/// </summary>
internal sealed partial class V4l2CameraSource : ICameraSource, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly V4l2Options _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IVideoSyscalls _syscalls;
    private readonly DeviceProber _prober;
    private readonly IdentityResolver _identities;
    private readonly Channel<string?> _signals = Channel.CreateUnbounded<string?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, NodeState> _nodes = new(StringComparer.Ordinal);
    private readonly Lock _published = new();
    private Dictionary<string, CameraDescriptor> _cameras = new(StringComparer.Ordinal);
    private CancellationTokenSource? _stopping;
    private FileSystemWatcher? _watcher;
    private Socket? _ueventSocket;
    private Task[] _background = [];
    private volatile bool _stopped;
    private int _startCalls;
    private Task? _stopTask;

    public V4l2CameraSource(IOptions<V4l2Options> options, IVideoSyscalls syscalls, TimeProvider time, ILogger<V4l2CameraSource> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _syscalls = syscalls ?? throw new ArgumentNullException(nameof(syscalls));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _prober = new DeviceProber(syscalls);
        _identities = new IdentityResolver(_options.DeviceRoot, _options.SysfsRoot);
    }

    public string Name => "v4l2";

    public event EventHandler<CameraChangedEventArgs>? CameraChanged;

    /// <summary>True while the netlink listener runs (tests and diagnostics).</summary>
    internal bool NetlinkActive => _ueventSocket is not null;

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

        _stopping = new CancellationTokenSource();
        var token = _stopping.Token;
        if (!Directory.Exists(_options.DeviceRoot))
        {
            Log.DeviceRootMissing(_logger, _options.DeviceRoot);
        }

        // Watchers first, so that nothing plugged during the first scan is missed.
        StartInotify();
        StartNetlink(token);
        var started = Stopwatch.GetTimestamp();
        await Task.Run(() => ScanAll(initial: true), cancellationToken).ConfigureAwait(false);
        Log.DiscoveryFinished(_logger, GetCameras().Count, _options.DeviceRoot, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);

        var tasks = new List<Task> { Task.Run(() => ProcessSignalsAsync(token), CancellationToken.None), Task.Run(() => ReconcileAsync(token), CancellationToken.None) };
        if (_ueventSocket is { } socket)
        {
            tasks.Add(Task.Run(() => ListenNetlinkAsync(socket, token), CancellationToken.None));
        }

        _background = [.. tasks];
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

    private async Task StopOnceAsync()
    {
        if (_stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _watcher?.Dispose();
        _ueventSocket?.Dispose();
        StopControlChannels();
        _signals.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_background).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loops end by cancellation; that is the normal way out.
        }

        _stopping.Dispose();
    }

    /// <summary>Handles one netlink datagram (also the entry point for tests with synthetic uevents).</summary>
    internal bool OnUevent(ReadOnlySpan<byte> datagram)
    {
        if (Uevent.Parse(datagram)?.VideoNode is { } node && IsVideoNode(node))
        {
            return _signals.Writer.TryWrite(node);
        }

        return false;
    }

    [GeneratedRegex(@"^video\d+$")]
    private static partial Regex VideoNodeName();

    private static bool IsVideoNode(string name) => VideoNodeName().IsMatch(name);

    private void StartInotify()
    {
        if (!_options.UseInotify || !Directory.Exists(_options.DeviceRoot))
        {
            return;
        }

        try
        {
            var w = new FileSystemWatcher(_options.DeviceRoot, "video*")
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.Attributes | NotifyFilters.LastWrite,
                IncludeSubdirectories = false,
            };
            w.Created += (_, e) => Signal(e.Name);
            w.Deleted += (_, e) => Signal(e.Name);
            w.Changed += (_, e) => Signal(e.Name);
            w.Renamed += (_, e) =>
            {
                Signal(e.OldName);
                Signal(e.Name);
            };
            w.Error += (_, e) =>
            {
                Log.InotifyFailed(_logger, _options.DeviceRoot, e.GetException());
                _signals.Writer.TryWrite(null);
            };
            w.EnableRaisingEvents = true;
            _watcher = w;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            Log.InotifyFailed(_logger, _options.DeviceRoot, ex);
        }
    }

    private void Signal(string? name)
    {
        if (name is not null && IsVideoNode(Path.GetFileName(name)))
        {
            _signals.Writer.TryWrite(Path.GetFileName(name));
        }
    }

    private void StartNetlink(CancellationToken token)
    {
        if (!_options.UseNetlink || token.IsCancellationRequested)
        {
            return;
        }

        var result = _syscalls.OpenUeventSocket(out var socket);
        if (!result.Ok || socket is null)
        {
            Log.NetlinkUnavailable(_logger, result.ToString());
            return;
        }

        _ueventSocket = socket;
    }

    private async Task ReceiveUeventsAsync(Socket socket, CancellationToken token)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (!token.IsCancellationRequested)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, token).ConfigureAwait(false);
                if (received > 0)
                {
                    OnUevent(buffer.AsSpan(0, received));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (ObjectDisposedException)
        {
            // The socket was closed by StopAsync.
        }
        catch (SocketException ex) when (ex.SocketErrorCode != SocketError.NoBufferSpaceAvailable)
        {
            if (!token.IsCancellationRequested)
            {
                Log.NetlinkFailed(_logger, ex);
            }
        }
    }

    private async Task ListenNetlinkAsync(Socket socket, CancellationToken token)
    {
        // ENOBUFS means the kernel dropped uevents (a burst overflowed the buffer): rescan everything and go on.
        while (!token.IsCancellationRequested)
        {
            try
            {
                await ReceiveUeventsAsync(socket, token).ConfigureAwait(false);
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
            {
                _signals.Writer.TryWrite(null);
            }
        }
    }

    private async Task ReconcileAsync(CancellationToken token)
    {
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(_options.ReconcileInterval, _time, token).ConfigureAwait(false);
                _signals.Writer.TryWrite(null);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task ProcessSignalsAsync(CancellationToken token)
    {
        var reader = _signals.Reader;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                if (_options.DebounceInterval > TimeSpan.Zero)
                {
                    await Task.Delay(_options.DebounceInterval, _time, token).ConfigureAwait(false);
                }

                var batch = new HashSet<string>(StringComparer.Ordinal);
                var full = false;
                while (reader.TryRead(out var node))
                {
                    if (node is null)
                    {
                        full = true;
                    }
                    else
                    {
                        batch.Add(node);
                    }
                }

                try
                {
                    if (full)
                    {
                        ScanAll(initial: false);
                    }
                    else
                    {
                        ProcessBatch(batch);
                    }
                }
                catch (Exception ex)
                {
                    // Whatever a broken device or file system throws, the loop must survive: it is the plugin's only worker.
                    Log.ProcessingFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
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
        // when its identity changed (e.g. another camera now sits at its node), which costs no ioctl to find out.
        batch.RemoveWhere(node => _nodes.TryGetValue(node, out var state) && present.Contains(node)
            && state.Kind is NodeKind.Camera or NodeKind.Ignored
            && _identities.Resolve(node, state.BusInfo).StableId == state.BaseStableId);
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
                if (IsVideoNode(name) && !Directory.Exists(entry))
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
                _nodes[node] = new NodeState(NodeKind.Ignored, null, identity.StableId, now, 0, null);
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
                    _nodes[node] = new NodeState(NodeKind.Pending, null, null, firstSeen, attempt, null);
                    Log.ProbeRetry(_logger, node, outcome.Error.ToString(), attempt, (long)delay.TotalMilliseconds);
                    ScheduleRetry(node, delay);
                    return;
                }

                break;
        }

        var descriptor = outcome.Status == ProbeStatus.Capture
            ? Describe(path, identity.StableId, outcome.Device!)
            : ErrorDescriptor(path, identity.StableId, outcome.Card ?? identity.SysfsName ?? node, outcome.Error);
        Publish(node, identity.StableId, outcome.Device?.BusInfo, descriptor, now, state);
    }

    private static bool IsTransient(DeviceFailure failure) =>
        failure is DeviceFailure.NotReady or DeviceFailure.NoDevice or DeviceFailure.PermissionDenied or DeviceFailure.Other;

    private void ScheduleRetry(string node, TimeSpan delay)
    {
        var token = _stopping?.Token ?? CancellationToken.None;
        _ = Task.Run(
            async () =>
            {
                try
                {
                    await Task.Delay(delay, _time, token).ConfigureAwait(false);
                    _signals.Writer.TryWrite(node);
                }
                catch (OperationCanceledException)
                {
                    // Stopping.
                }
            },
            CancellationToken.None);
    }

    private CameraDescriptor Describe(string path, string stableId, DeviceInfo device)
    {
        var (input, problem) = CaptureInputSelector.Select(path, device.Formats, _options, _options.CameraOverride(stableId));
        if (problem is not null)
        {
            Log.OverrideIgnored(_logger, stableId, problem);
        }

        if (input is null)
        {
            var offered = device.Formats.Count == 0 ? "none" : string.Join(", ", device.Formats.Select(f => f.FourCc));
            return new CameraDescriptor
            {
                StableId = stableId,
                Source = Name,
                Name = device.Card,
                DevicePath = path,
                Driver = device.Driver,
                BusInfo = device.BusInfo,
                State = CameraState.Error,
                Error = $"The camera offers no pixel format the media tools can capture (offered: {offered}).",
                Formats = device.Formats,
                Controls = device.Controls,
            };
        }

        return new CameraDescriptor
        {
            StableId = stableId,
            Source = Name,
            Name = device.Card,
            DevicePath = path,
            Driver = device.Driver,
            BusInfo = device.BusInfo,
            State = CameraState.Available,
            Formats = device.Formats,
            Controls = device.Controls,
            CaptureInput = input,
        };
    }

    private CameraDescriptor ErrorDescriptor(string path, string stableId, string name, SyscallResult error) =>
        new CameraDescriptor { StableId = stableId, Source = Name, Name = name, DevicePath = path, State = CameraState.Error, Error = ErrorMessage(error), Formats = [], Controls = [] };

    /// <summary>The user-facing reason for a failed device; no server paths (the device path is a separate field).</summary>
    internal static string ErrorMessage(SyscallResult error) => error.Failure switch
    {
        DeviceFailure.PermissionDenied =>
            "Permission denied opening the camera: add the service user to the 'video' group (sudo usermod -aG video <user>) and restart the service.",
        DeviceFailure.Busy =>
            "The camera is busy: another program is using it. Close that program; the service retries automatically.",
        DeviceFailure.NotReady or DeviceFailure.NoDevice =>
            "The camera's driver does not answer (not ready or disconnected). Reconnect the camera if this persists.",
        DeviceFailure.NotV4l2 =>
            "The device does not answer V4L2 requests; it is not a V4L2 camera or its driver is broken.",
        _ => $"Opening the camera failed ({error}); check the kernel log (dmesg) and reconnect the camera.",
    };

    private void Publish(string node, string baseStableId, string? busInfo, CameraDescriptor descriptor, DateTimeOffset now, NodeState? previous)
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
            descriptor.State == CameraState.Available ? NodeKind.Camera : NodeKind.Failed, stableId, baseStableId, previous?.FirstSeen ?? now, 0, busInfo);
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

        TrackControls(kind, descriptor);
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

    private enum NodeKind
    {
        Pending,
        Camera,
        Failed,
        Ignored,
    }

    private sealed record NodeState(NodeKind Kind, string? StableId, string? BaseStableId, DateTimeOffset FirstSeen, int Attempts, string? BusInfo);
}
