using System.Globalization;
using CameraService.Plugins.Fleet;
using Microsoft.Extensions.Options;

namespace CameraService.Perf.Fleet;

/// <summary>
/// Simulated nodes <c>sim001</c>, <c>sim002</c>, … (each its own NATS connection, like a box) with the fleet
/// credential the gateway was started with. Grows on demand; disposing stops them all.
/// </summary>
internal sealed class SimulatedFleet : IAsyncDisposable
{
    private readonly List<SimulatedNode> _nodes = [];
    private readonly FleetOptions _options;
    private readonly FleetSigner _signer;
    private readonly int _cameras;

    public SimulatedFleet(string natsUrl, string secret, int camerasPerNode)
    {
        _options = new FleetOptions { Role = "node", Secret = secret, Nats = new NatsSettings { Url = natsUrl } };
        var errors = new FleetOptionsValidator().Validate(null, new FleetOptions { Role = "node", NodeId = "sim001", Secret = secret, Nats = new NatsSettings { Url = natsUrl } });
        if (errors.Failed)
        {
            throw new PerfException("simulated node configuration rejected by the fleet plugin's own validator: " + errors.FailureMessage);
        }

        _signer = new FleetSigner(Options.Create(_options), TimeProvider.System);
        _cameras = camerasPerNode;
    }

    public IReadOnlyList<SimulatedNode> Nodes => _nodes;

    public int CamerasPerNode => _cameras;

    /// <summary>Starts nodes until <paramref name="count"/> run (never stops any).</summary>
    public async Task EnsureAsync(int count, CancellationToken cancellationToken)
    {
        while (_nodes.Count < count)
        {
            var batch = Enumerable.Range(_nodes.Count + 1, Math.Min(25, count - _nodes.Count))
                .Select(n => SimulatedNode.StartAsync(Name(n), _cameras, _options, _signer, n, cancellationToken));
            _nodes.AddRange(await Task.WhenAll(batch).ConfigureAwait(false));
        }
    }

    public static string Name(int number) => "sim" + number.ToString("000", CultureInfo.InvariantCulture);

    public long Requests => _nodes.Sum(n => n.Requests);

    public long Refused => _nodes.Sum(n => n.Refused);

    public long Unsupported => _nodes.Sum(n => n.Unsupported);

    public long Heartbeats => _nodes.Sum(n => n.Heartbeats);

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask())).ConfigureAwait(false);
        _nodes.Clear();
    }
}
