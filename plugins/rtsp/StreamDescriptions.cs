using System.Globalization;
using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.Rtsp;

/// <summary>What a stream looks like to the core: its camera descriptor and its external-stream entry.</summary>
internal static class StreamDescriptions
{
    /// <summary>The camera of a stream: from its probe, or (no probe yet) a camera without formats and capture input.</summary>
    public static CameraDescriptor Camera(StreamEntry entry, ProbeResult? probe, string transportOption)
    {
        var codec = probe?.Codec ?? PixelFormats.H264;
        var supported = PixelFormats.All.Contains(codec);
        var video = new VideoMode { PixelFormat = supported ? codec : PixelFormats.H264, Width = probe?.Width ?? 0, Height = probe?.Height ?? 0, FrameRate = probe?.FrameRate ?? 0 };
        var transport = transportOption switch
        {
            "udp" => RtspTransport.Udp,
            "tcp" => RtspTransport.Tcp,
            _ => RtspTransport.Automatic,
        };
        return new CameraDescriptor
        {
            StableId = entry.Url.StableId,
            Source = RtspCameraSource.SourceName,
            Name = entry.Name,
            Driver = "rtsp",
            BusInfo = entry.Url.Display,
            State = supported ? CameraState.Available : CameraState.Error,
            Error = supported ? null : $"The stream's video codec '{probe?.RawCodec}' is not supported; configure the camera for H.264 or H.265.",
            Formats = probe is null || probe.Width <= 0
                ? []
                :
                [
                    new CameraFormat
                    {
                        FourCc = video.PixelFormat,
                        Description = (probe.RawCodec ?? codec) + " over RTSP",
                        Compressed = true,
                        Sizes = [new FrameSize { Width = probe.Width, Height = probe.Height, FrameRates = probe.FrameRate > 0 ? [probe.FrameRate] : [] }],
                    },
                ],
            CaptureInput = supported && probe is not null
                ? new NetworkCaptureInput
                {
                    Url = entry.Url.Url,
                    UserName = entry.Url.UserName,
                    Password = entry.Url.Password,
                    Transport = transport,
                    Video = video,
                    Audio = probe.Audio,
                }
                : null,
        };
    }

    /// <summary>The stream as <c>get_external_streams</c> lists it (the URL without its password).</summary>
    public static ExternalStream External(StreamEntry entry)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["camera_state"] = entry.Connected ? "CONNECTED" : "DISCONNECTED",
        };
        if (entry.Probe is { } p)
        {
            metadata["resolution"] = string.Create(CultureInfo.InvariantCulture, $"{p.Width}x{p.Height}");
            metadata["fps"] = p.FrameRate.ToString("0.###", CultureInfo.InvariantCulture);
            metadata["audio"] = p.Audio is null ? "false" : "true";
            metadata["probe"] = p.Method;
            if (p.Audio?.Codec is { } ac)
            {
                metadata["audio_codec"] = ac;
            }
        }

        if (!entry.Connected && entry.LastError is { } e)
        {
            metadata["error"] = e;
        }

        if (entry.Url.UserName is not null)
        {
            metadata["authentication"] = "configured";
        }

        return new ExternalStream
        {
            Url = entry.Url.Display,
            Name = entry.Name,
            Type = entry.Type,
            Status = entry.Connected ? ExternalStreamStatuses.Discovered : ExternalStreamStatuses.Error,
            DiscoveredAt = entry.AddedAt,
            LastSeen = entry.LastSeen,
            StableId = entry.Url.StableId,
            Configured = entry.Configured,
            Capabilities = new ExternalStreamCapabilities
            {
                Protocol = entry.Url.Url.Scheme,
                Source = entry.Configured ? "configuration" : "api",
                StreamType = entry.Type == ExternalStreamTypes.Skydio ? entry.Url.StreamKind : "generic",
                Port = entry.Url.Port,
                StreamPath = entry.Url.Url.AbsolutePath,
                Codec = entry.Probe?.Codec,
                Metadata = metadata,
            },
        };
    }
}
