using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http;

namespace CameraService.Plugins.WebSocket;

/// <summary>
/// Open sessions per client address (<c>Api:MaxConnectionsPerAddress</c>): one host cannot take every slot of
/// <c>Api:MaxConnections</c> and lock everyone else out.
/// </summary>
internal sealed class AddressBudget(int maxPerAddress)
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>Takes a slot for the address; false when it already holds the maximum.</summary>
    public bool TryAcquire(string address)
    {
        while (true)
        {
            var current = _open.GetValueOrDefault(address);
            if (current >= maxPerAddress)
            {
                return false;
            }

            if (current == 0 ? _open.TryAdd(address, 1) : _open.TryUpdate(address, current + 1, current))
            {
                return true;
            }
        }
    }

    /// <summary>Gives a slot back.</summary>
    public void Release(string address)
    {
        while (true)
        {
            var current = _open.GetValueOrDefault(address);
            if (current <= 1)
            {
                if (current == 0 || ((ICollection<KeyValuePair<string, int>>)_open).Remove(new KeyValuePair<string, int>(address, 1)))
                {
                    return;
                }
            }
            else if (_open.TryUpdate(address, current - 1, current))
            {
                return;
            }
        }
    }

    /// <summary>Open sessions of an address (tests, diagnostics).</summary>
    public int Count(string address) => _open.GetValueOrDefault(address);
}

/// <summary>The client address a limit is charged to.</summary>
internal static class ClientAddress
{
    /// <summary>
    /// The peer's address; when the peer is one of <paramref name="trustedProxies"/> (a reverse proxy) the right-most
    /// address of <c>X-Forwarded-For</c> that is not itself a trusted proxy. An untrusted peer's header is ignored:
    /// anyone could send one to get a fresh budget.
    /// </summary>
    public static string Resolve(HttpContext context, IReadOnlyList<IPNetwork> trustedProxies)
    {
        ArgumentNullException.ThrowIfNull(context);
        var peer = Normalize(context.Connection.RemoteIpAddress);
        if (peer is null)
        {
            return "unknown";
        }

        if (trustedProxies.Count == 0 || !IsTrusted(peer, trustedProxies))
        {
            return peer.ToString();
        }

        var header = context.Request.Headers["X-Forwarded-For"].ToString();
        var hops = header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = hops.Length - 1; i >= 0; i--)
        {
            if (!IPAddress.TryParse(hops[i], out var hop))
            {
                // Garbage in the chain: stop at the last address we could trust.
                break;
            }

            hop = Normalize(hop)!;
            if (!IsTrusted(hop, trustedProxies))
            {
                return hop.ToString();
            }
        }

        return peer.ToString();
    }

    /// <summary>Parses <c>Api:TrustedProxies</c> entries (addresses or CIDR ranges).</summary>
    public static bool TryParse(string text, out IPNetwork network)
    {
        if (IPNetwork.TryParse(text, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(text, out var address))
        {
            address = Normalize(address)!;
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }

    private static bool IsTrusted(IPAddress address, IReadOnlyList<IPNetwork> trusted)
    {
        foreach (var network in trusted)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    private static IPAddress? Normalize(IPAddress? address) =>
        address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}

/// <summary>
/// The bytes waiting in one session's outbound queue (<c>Api:MaxQueuedBytes</c>). Notifications that do not fit are
/// dropped; a response waits for room (only its session's reader waits). One message larger than the budget still
/// passes when nothing else is queued, so a big response can always be delivered.
/// </summary>
internal sealed class ByteBudget(long maxBytes)
{
    private readonly Lock _gate = new();
    private long _used;
    private TaskCompletionSource? _freed;

    public long Used => Interlocked.Read(ref _used);

    public bool TryTake(int bytes)
    {
        lock (_gate)
        {
            if (_used > 0 && _used + bytes > maxBytes)
            {
                return false;
            }

            _used += bytes;
            return true;
        }
    }

    public async ValueTask TakeAsync(int bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_used == 0 || _used + bytes <= maxBytes)
                {
                    _used += bytes;
                    return;
                }

                _freed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _freed.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Release(int bytes)
    {
        TaskCompletionSource? freed;
        lock (_gate)
        {
            _used = Math.Max(0, _used - bytes);
            freed = _freed;
            _freed = null;
        }

        freed?.TrySetResult();
    }
}
