using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;
using NATS.Net;

namespace CameraService.Plugins.Fleet;

/// <summary>
/// The gateway's camera ids: <c>camera&lt;N&gt;</c> bound once to (node id, the node's stable id) in the JetStream
/// KV bucket <c>fleet_camera_ids</c>. Numbers come from the counter key <c>next</c> advanced with compare-and-set,
/// and a binding is written with create-if-absent, so two gateways assigning at the same moment end up with the
/// same binding (the loser's number is skipped, never reused). Bindings never change, so they are cached.
/// </summary>
internal sealed class CameraIds(NatsConnection nats) : IDisposable
{
    private const string CounterKey = "next";
    private readonly ConcurrentDictionary<(string Node, string Stable), string> _byStable = new();
    private readonly ConcurrentDictionary<string, (string Node, string Stable)> _byId = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _assigning = new(1, 1);
    private INatsKVStore? _store;

    public void Dispose() => _assigning.Dispose();

    public bool TryGetId(string node, string stableId, out string id) => _byStable.TryGetValue((node, stableId), out id!);

    public bool TryResolve(string id, out string node, out string stableId)
    {
        if (_byId.TryGetValue(id, out var binding))
        {
            (node, stableId) = binding;
            return true;
        }

        (node, stableId) = (string.Empty, string.Empty);
        return false;
    }

    /// <summary>Reads every binding (after a start or a NATS outage), so ids of nodes that are gone still resolve.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var keys = await FleetNats.KeysAsync(store, cancellationToken).ConfigureAwait(false);
        foreach (var key in keys.Where(k => k.StartsWith("b.", StringComparison.Ordinal)))
        {
            var entry = await store.GetEntryAsync<string>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (Parse(key) is { } binding && entry.Value is { } id)
            {
                Remember(binding.Node, binding.Stable, id);
            }
        }
    }

    /// <summary>
    /// Makes sure the camera object of a node's answer, announcement or notification (<c>device</c> = the node's id,
    /// <c>stable_id</c>) has a gateway id; returns its node-local id, or null when the object names no camera.
    /// </summary>
    public async ValueTask<string?> BindAsync(string node, JsonObject camera, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(camera);
        if (camera["device"]?.GetValue<string>() is not { } local || camera["stable_id"]?.GetValue<string>() is not { } stable)
        {
            return null;
        }

        await GetOrAssignAsync(node, stable, cancellationToken).ConfigureAwait(false);
        return local;
    }

    /// <summary>The id bound to (node, stable id), assigning the next free number when there is none yet.</summary>
    public async ValueTask<string> GetOrAssignAsync(string node, string stableId, CancellationToken cancellationToken)
    {
        if (_byStable.TryGetValue((node, stableId), out var known))
        {
            return known;
        }

        await _assigning.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_byStable.TryGetValue((node, stableId), out known))
            {
                return known;
            }

            var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
            var key = Key(node, stableId);
            if (await TryGetAsync(store, key, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                return Remember(node, stableId, existing.Value!);
            }

            while (true)
            {
                var number = await TakeNumberAsync(store, cancellationToken).ConfigureAwait(false);
                var id = "camera" + number.ToString(CultureInfo.InvariantCulture);
                try
                {
                    await store.CreateAsync(key, id, cancellationToken: cancellationToken).ConfigureAwait(false);
                    return Remember(node, stableId, id);
                }
                catch (NatsKVCreateException)
                {
                    // Another gateway bound this camera first: its id wins, our number stays unused.
                    if (await TryGetAsync(store, key, cancellationToken).ConfigureAwait(false) is { } winner)
                    {
                        return Remember(node, stableId, winner.Value!);
                    }
                }
            }
        }
        catch (NatsException)
        {
            _store = null;
            throw;
        }
        finally
        {
            _assigning.Release();
        }
    }

    private static async Task<long> TakeNumberAsync(INatsKVStore store, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await TryGetAsync(store, CounterKey, cancellationToken).ConfigureAwait(false) is not { } counter)
            {
                try
                {
                    await store.CreateAsync(CounterKey, "1", cancellationToken: cancellationToken).ConfigureAwait(false);
                    return 0;
                }
                catch (NatsKVCreateException)
                {
                    continue;
                }
            }

            var next = long.Parse(counter.Value!, CultureInfo.InvariantCulture);
            try
            {
                await store.UpdateAsync(CounterKey, (next + 1).ToString(CultureInfo.InvariantCulture), counter.Revision, cancellationToken: cancellationToken).ConfigureAwait(false);
                return next;
            }
            catch (NatsKVWrongLastRevisionException)
            {
                // Another gateway took this number; read the counter again.
            }
        }
    }

    private static async Task<NatsKVEntry<string>?> TryGetAsync(INatsKVStore store, string key, CancellationToken cancellationToken)
    {
        try
        {
            return await store.GetEntryAsync<string>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NatsKVKeyNotFoundException)
        {
            return null;
        }
        catch (NatsKVKeyDeletedException)
        {
            return null;
        }
    }

    private async Task<INatsKVStore> StoreAsync(CancellationToken cancellationToken) =>
        _store ??= await nats.CreateKeyValueStoreContext()
            .CreateOrUpdateStoreAsync(new NatsKVConfig(FleetSubjects.CameraIdBucket) { History = 1, Storage = NatsKVStorageType.File }, cancellationToken)
            .ConfigureAwait(false);

    private string Remember(string node, string stableId, string id)
    {
        _byStable[(node, stableId)] = id;
        _byId[id] = (node, stableId);
        return id;
    }

    // KV keys allow only [-/_=.A-Za-z0-9]: the stable id (a bus path, a URL, …) is base64url-encoded.
    private static string Key(string node, string stableId) => $"b.{node}.{Convert.ToBase64String(Encoding.UTF8.GetBytes(stableId)).Replace('+', '-').Replace('/', '_')}";

    private static (string Node, string Stable)? Parse(string key)
    {
        var parts = key.Split('.', 3);
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            return (parts[1], Encoding.UTF8.GetString(Convert.FromBase64String(parts[2].Replace('-', '+').Replace('_', '/'))));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
