using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.Rtsp;

/// <summary>
/// The RTSP probe of configured targets: a DESCRIBE to every (address, port, path) of <c>Plugins:Rtsp:Discovery:Targets</c>
/// — never anything else — with bounded concurrency and a timeout per probe. An answer 200 (or 401: the stream exists
/// but wants credentials) is a discovered stream; a refused or silent target is offline.
/// </summary>
internal sealed class RtspDiscovery(DiscoveryOptions options, TimeProvider time)
{
    public static readonly IReadOnlyList<string> SkydioPaths = ["/subject", "/infrared"];
    public const int SkydioPort = 5554;

    /// <summary>The probes a scan would make, in order; at most <see cref="DiscoveryOptions.MaxAddresses"/> addresses.</summary>
    public IReadOnlyList<(StreamUrl Url, string Type)> Plan(bool skydio, bool generic)
    {
        var plan = new List<(StreamUrl, string)>();
        long addresses = 0;
        foreach (var target in options.Targets)
        {
            var isSkydio = string.Equals(target.Profile, "skydio", StringComparison.OrdinalIgnoreCase);
            if ((isSkydio && !skydio) || (!isSkydio && !generic))
            {
                continue;
            }

            var ports = target.Ports.Count > 0 ? target.Ports : [isSkydio ? SkydioPort : 554];
            var paths = target.Paths.Count > 0 ? target.Paths : (isSkydio ? [.. SkydioPaths] : ["/"]);
            foreach (var host in target.Hosts)
            {
                if (!AddressRange.TryParse(host, out var range))
                {
                    continue;
                }

                foreach (var address in range.Addresses(options.MaxAddresses - addresses))
                {
                    addresses++;
                    foreach (var port in ports)
                    {
                        foreach (var path in paths)
                        {
                            var h = address.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString();
                            var uri = new Uri($"rtsp://{h}:{port}{path}");
                            plan.Add((new StreamUrl(uri, target.Username, target.Password), isSkydio ? ExternalStreamTypes.Skydio : ExternalStreamTypes.Generic));
                        }
                    }
                }
            }
        }

        return plan;
    }

    /// <summary>Runs the probes of <see cref="Plan"/>.</summary>
    public async Task<ExternalStreamScan> ScanAsync(ExternalStreamScanRequest request, Func<CancellationToken, Task<IReadOnlyList<(ExternalStream Stream, string? Error)>>>? onvif, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var plan = Plan(request.SkydioEnabled, request.GenericEnabled);
        var found = new ConcurrentBag<(int Order, ExternalStream Stream)>();
        var errors = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(
            plan.Select((p, i) => (p.Url, p.Type, i)),
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxConcurrency, CancellationToken = cancellationToken },
            async (probe, ct) =>
            {
                try
                {
                    var answer = await RtspClient.DescribeAsync(probe.Url, options.Timeout, ct).ConfigureAwait(false);
                    if (answer.Status is 200 or 401)
                    {
                        found.Add((probe.i, Describe(probe.Url, probe.Type, ExternalStreamStatuses.Discovered, now, answer, null)));
                    }
                    else if (request.IncludeOffline)
                    {
                        found.Add((probe.i, Describe(probe.Url, probe.Type, ExternalStreamStatuses.Error, now, answer, $"RTSP {answer.Status}")));
                    }
                }
                catch (ProbeException ex)
                {
                    if (request.IncludeOffline)
                    {
                        found.Add((probe.i, Describe(probe.Url, probe.Type, ExternalStreamStatuses.Error, now, null, ex.Message)));
                    }
                }
            }).ConfigureAwait(false);

        var streams = found.OrderBy(f => f.Order).Select(f => f.Stream).ToList();
        if (onvif is not null && request.GenericEnabled)
        {
            foreach (var (stream, error) in await onvif(cancellationToken).ConfigureAwait(false))
            {
                if (error is not null)
                {
                    errors.Add(error);
                }
                else if (!streams.Any(s => string.Equals(s.Url, stream.Url, StringComparison.Ordinal)))
                {
                    streams.Add(stream);
                }
            }
        }

        return new ExternalStreamScan
        {
            Streams = streams,
            ScannedAt = now,
            Duration = time.GetElapsedTime(started),
            Errors = [.. errors],
        };
    }

    private static ExternalStream Describe(StreamUrl url, string type, string status, DateTimeOffset now, DescribeAnswer? answer, string? error)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (answer?.AuthScheme is { } scheme && answer.Status == 401)
        {
            metadata["auth_required"] = scheme;
        }

        if (answer?.Description is { } sdp)
        {
            if (sdp.Audio is { } audio)
            {
                metadata["audio"] = "true";
                metadata["audio_codec"] = audio.Codec ?? "unknown";
            }

            if (sdp.Width > 0)
            {
                metadata["resolution"] = string.Create(CultureInfo.InvariantCulture, $"{sdp.Width}x{sdp.Height}");
            }

            if (sdp.FrameRate > 0)
            {
                metadata["fps"] = sdp.FrameRate.ToString("0.###", CultureInfo.InvariantCulture);
            }
        }

        if (error is not null)
        {
            metadata["error"] = error;
        }

        var kind = url.StreamKind;
        return new ExternalStream
        {
            Url = url.Display,
            Name = type == ExternalStreamTypes.Skydio ? $"Skydio {kind} {url.Url.Host}" : $"RTSP {url.Url.Host}:{url.Port}{url.Url.AbsolutePath}",
            Type = type,
            Status = status,
            DiscoveredAt = now,
            LastSeen = status == ExternalStreamStatuses.Discovered ? now : null,
            Capabilities = new ExternalStreamCapabilities
            {
                Protocol = url.Url.Scheme,
                Source = "rtsp_probe",
                StreamType = type == ExternalStreamTypes.Skydio ? kind : "generic",
                Port = url.Port,
                StreamPath = url.Url.AbsolutePath,
                Codec = answer?.VideoCodec switch
                {
                    "H264" => PixelFormats.H264,
                    "H265" => PixelFormats.Hevc,
                    "JPEG" => PixelFormats.Mjpeg,
                    var c => c,
                },
                Metadata = metadata,
            },
        };
    }
}
