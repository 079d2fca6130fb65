using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using CameraService.Plugins.Shared;
using CameraService.Plugins.V4l2.Native;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.V4l2.HotPlug;

/// <summary>A batch of hot-plug signals to act on: the nodes to look at, or a full rescan.</summary>
/// <param name="FullRescan">Look at every node (a reconcile tick, an overflowed netlink buffer, an inotify error).</param>
/// <param name="Nodes">The node names (<c>video0</c>) signalled since the last batch; empty for a full rescan.</param>
internal readonly record struct SignalBatch(bool FullRescan, IReadOnlySet<string> Nodes);

/// <summary>
/// The three producers of hot-plug signals — the netlink uevent listener (primary), an inotify watch on the device root
/// (second) and a periodic reconcile (safety net) — feeding one channel of node names (null = rescan everything),
/// read as debounced batches by the source's single discovery loop. Signals arriving within the debounce interval
/// are merged, so one plug probes each node once.
/// </summary>
internal sealed partial class HotPlugSignals(V4l2Options options, IVideoSyscalls syscalls, TimeProvider time, ILogger logger)
{
    private readonly Channel<string?> _signals = Channel.CreateUnbounded<string?>(new UnboundedChannelOptions { SingleReader = true });
    private FileSystemWatcher? _watcher;
    private Socket? _ueventSocket;

    /// <summary>True while the netlink listener runs (tests and diagnostics).</summary>
    public bool NetlinkActive => _ueventSocket is not null;

    /// <summary>
    /// Opens the inotify watch and the netlink socket, and starts the netlink listener and the reconcile timer on
    /// <paramref name="loops"/>. Called before the first scan, so that nothing plugged during it is missed: what
    /// arrives meanwhile waits in the channel.
    /// </summary>
    public void Start(BackgroundLoops loops)
    {
        StartInotify();
        if (options.UseNetlink)
        {
            var result = syscalls.OpenUeventSocket(out var socket);
            if (result.Ok && socket is not null)
            {
                _ueventSocket = socket;
                loops.Run("netlink uevents", token => ListenNetlinkAsync(socket, token));
            }
            else
            {
                Log.NetlinkUnavailable(logger, result.ToString());
            }
        }

        loops.RunEvery("reconcile", options.ReconcileInterval, RequestRescan);
    }

    /// <summary>Closes the watch and the socket and ends the batches; later signals are refused.</summary>
    public void Stop()
    {
        _signals.Writer.TryComplete();
        _watcher?.Dispose();
        _ueventSocket?.Dispose();
    }

    /// <summary>Asks for a full rescan.</summary>
    public void RequestRescan() => _signals.Writer.TryWrite(null);

    /// <summary>Handles one netlink datagram (also the entry point for tests with synthetic uevents).</summary>
    /// <returns>Whether the datagram signalled a video node and the signal was taken.</returns>
    public bool OnUevent(ReadOnlySpan<byte> datagram)
    {
        var uevent = Uevent.Parse(datagram);
        if (uevent?.VideoNode is { } node)
        {
            return IsVideoNode(node) && _signals.Writer.TryWrite(node);
        }

        // A sound card came or went (a webcam's microphone binds a little after its video node): a rescan re-pairs only
        // the cameras whose microphone changed.
        return options.Audio && uevent?.IsSoundCard == true && _signals.Writer.TryWrite(null);
    }

    /// <summary>Signals <paramref name="node"/> again after <paramref name="delay"/> (a device that was not ready yet).</summary>
    public void SignalLater(string node, TimeSpan delay, BackgroundLoops loops) =>
        loops.Run("probe retry", async token =>
        {
            await Task.Delay(delay, time, token).ConfigureAwait(false);
            _signals.Writer.TryWrite(node);
        });

    /// <summary>The signals as debounced batches, until <see cref="Stop"/> or cancellation.</summary>
    public async IAsyncEnumerable<SignalBatch> ReadBatchesAsync([EnumeratorCancellation] CancellationToken token)
    {
        var reader = _signals.Reader;
        while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
        {
            if (options.DebounceInterval > TimeSpan.Zero)
            {
                await Task.Delay(options.DebounceInterval, time, token).ConfigureAwait(false);
            }

            var nodes = new HashSet<string>(StringComparer.Ordinal);
            var full = false;
            while (reader.TryRead(out var node))
            {
                if (node is null)
                {
                    full = true;
                }
                else
                {
                    nodes.Add(node);
                }
            }

            yield return full ? new SignalBatch(true, new HashSet<string>()) : new SignalBatch(false, nodes);
        }
    }

    /// <summary>Whether <paramref name="name"/> is a V4L2 video node name (<c>video</c> + digits).</summary>
    public static bool IsVideoNode(string name) => VideoNodeName().IsMatch(name);

    [GeneratedRegex(@"^video\d+$")]
    private static partial Regex VideoNodeName();

    private void StartInotify()
    {
        if (!options.UseInotify || !Directory.Exists(options.DeviceRoot))
        {
            return;
        }

        try
        {
            var w = new FileSystemWatcher(options.DeviceRoot, "video*")
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.Attributes | NotifyFilters.LastWrite,
                IncludeSubdirectories = false,
            };
            w.Created += (_, e) => SignalFile(e.Name);
            w.Deleted += (_, e) => SignalFile(e.Name);
            w.Changed += (_, e) => SignalFile(e.Name);
            w.Renamed += (_, e) =>
            {
                SignalFile(e.OldName);
                SignalFile(e.Name);
            };
            w.Error += (_, e) =>
            {
                Log.InotifyFailed(logger, options.DeviceRoot, e.GetException());
                RequestRescan();
            };
            w.EnableRaisingEvents = true;
            _watcher = w;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            Log.InotifyFailed(logger, options.DeviceRoot, ex);
        }
    }

    private void SignalFile(string? name)
    {
        if (name is not null && IsVideoNode(Path.GetFileName(name)))
        {
            _signals.Writer.TryWrite(Path.GetFileName(name));
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
                RequestRescan();
            }
        }
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
        catch (ObjectDisposedException)
        {
            // The socket was closed by Stop.
        }
        catch (SocketException ex) when (ex.SocketErrorCode != SocketError.NoBufferSpaceAvailable)
        {
            if (!token.IsCancellationRequested)
            {
                Log.NetlinkFailed(logger, ex);
            }
        }
    }
}
