using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.Shared;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Rtsp;

/// <summary>
/// Finds streams that could be added: the RTSP probe of the configured targets and ONVIF WS-Discovery, on request
/// (a result younger than 30 s is reused unless a rescan is forced) and every discovery interval in the background.
/// Every stream seen for the first time is announced as <c>discovered</c>; nothing is added by discovery.
/// </summary>
/// <remarks>
/// Owns the last scan and the periodic scan loop (restarted when the interval changes, under its gate).
/// </remarks>
internal sealed class DiscoveryScanner : IDisposable
{
    private static readonly TimeSpan ReuseWindow = TimeSpan.FromSeconds(30);

    private readonly DiscoveryOptions _options;
    private readonly RtspDiscovery _discovery;
    private readonly OnvifDiscovery? _onvif;
    private readonly Action<string, ExternalStream> _raiseStream;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BackgroundLoops _loops;
    private readonly SemaphoreSlim _restart = new(1, 1);
    private ExternalStreamScan? _lastScan;
    private bool _stopped;

    public DiscoveryScanner(DiscoveryOptions options, Action<string, ExternalStream> raiseStream, TimeProvider time, ILogger logger)
    {
        _options = options;
        _discovery = new RtspDiscovery(options, time);
        _onvif = options.Onvif.Enabled ? new OnvifDiscovery(options.Onvif, options.Timeout, time) : null;
        _raiseStream = raiseStream;
        _time = time;
        _logger = logger;
        _loops = new BackgroundLoops(logger, time);
    }

    public bool Enabled => _options.Enabled;

    /// <summary>1 while the periodic scan runs, else 0 (tests check that a stop ended it).</summary>
    public int Running => _loops.Running;

    /// <exception cref="UnsupportedFeatureException">Discovery is disabled.</exception>
    public void RequireEnabled()
    {
        if (!Enabled)
        {
            throw new UnsupportedFeatureException(
                "external_stream_discovery",
                "Discovery of external streams is disabled; set Plugins:Rtsp:Discovery:Enabled=true and configure Plugins:Rtsp:Discovery:Targets (see docs/rtsp.md).");
        }
    }

    public async Task<ExternalStreamScan> DiscoverAsync(ExternalStreamScanRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireEnabled();
        var last = Volatile.Read(ref _lastScan);
        if (!request.ForceRescan && last is not null && _time.GetUtcNow() - last.ScannedAt < ReuseWindow)
        {
            return request.IncludeOffline ? last : OnlyDiscovered(last);
        }

        var scan = await _discovery.ScanAsync(
            request with { IncludeOffline = true },
            _onvif is null ? null : ct => _onvif.DiscoverAsync(ct),
            cancellationToken).ConfigureAwait(false);
        var previous = last?.Streams.Where(s => s.Status == ExternalStreamStatuses.Discovered).Select(s => s.Url).ToHashSet(StringComparer.Ordinal) ?? [];
        Volatile.Write(ref _lastScan, scan);
        foreach (var s in scan.Streams.Where(s => s.Status == ExternalStreamStatuses.Discovered && !previous.Contains(s.Url)))
        {
            _raiseStream("discovered", s);
        }

        Log.Scanned(_logger, scan.Streams.Count(s => s.Status == ExternalStreamStatuses.Discovered), scan.Duration.TotalMilliseconds);
        return request.IncludeOffline ? scan : OnlyDiscovered(scan);
    }

    /// <summary>
    /// Ends the periodic scan and, when discovery is enabled, the interval is above zero and the source is not
    /// stopped, starts it again with <paramref name="interval"/>: a scan at once, then one every interval.
    /// </summary>
    public async Task RestartAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        await _restart.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _loops.StopAsync(cancellationToken).ConfigureAwait(false);
            if (!Enabled || interval <= TimeSpan.Zero || _stopped)
            {
                return;
            }

            _loops.Start();

            // A failing scan is logged and the loop restarted after one interval: the periodic discovery never ends.
            _loops.RunGuarded(
                "stream discovery",
                async ct =>
                {
                    while (!ct.IsCancellationRequested)
                    {
                        await DiscoverAsync(new ExternalStreamScanRequest { ForceRescan = true }, ct).ConfigureAwait(false);
                        await Task.Delay(interval, _time, ct).ConfigureAwait(false);
                    }
                },
                interval);
        }
        finally
        {
            _restart.Release();
        }
    }

    /// <summary>Ends the periodic scan for good (the source stops) and waits for it.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _restart.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _stopped = true;
            await _loops.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _restart.Release();
        }
    }

    public void Dispose()
    {
        _loops.Dispose();
        _restart.Dispose();
    }

    private static ExternalStreamScan OnlyDiscovered(ExternalStreamScan scan) =>
        scan with { Streams = [.. scan.Streams.Where(s => s.Status == ExternalStreamStatuses.Discovered)] };
}
