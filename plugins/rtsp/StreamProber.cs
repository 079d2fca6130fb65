using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.Rtsp;

/// <summary>What a probe found out about a stream.</summary>
internal sealed record ProbeResult(string Codec, int Width, int Height, double FrameRate, AudioInput? Audio)
{
    /// <summary>The codec as ffprobe named it, for messages (e.g. <c>mpeg4</c>).</summary>
    public string? RawCodec { get; init; }

    /// <summary>Where the answer came from: <c>sdp</c> (the DESCRIBE answer alone) or <c>ffprobe</c>.</summary>
    public string Method { get; init; } = "ffprobe";
}

/// <summary>
/// Probes a stream: video codec, size, rate; audio codec, rate, channels. First an RTSP DESCRIBE of its own: when the
/// SDP carries everything (H.264 with its SPS and a known audio codec, as IP cameras send it) that is the answer, in
/// one round trip. Otherwise ffprobe reads the media (another codec, or an SDP without parameter sets).
/// </summary>
internal sealed class StreamProber(string ffprobePath, TimeSpan timeout, string transport)
{
    /// <summary>Probes <paramref name="url"/>; throws <see cref="ProbeException"/> with a message without credentials.</summary>
    public async Task<ProbeResult> ProbeAsync(StreamUrl url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        var answer = await RtspClient.DescribeAsync(url, timeout, cancellationToken).ConfigureAwait(false);
        switch (answer.Status)
        {
            case 200 when answer.Description is { } sdp && sdp.TryGetProbe(out var fromSdp):
                return fromSdp;
            case 401:
                throw new ProbeException(url.UserName is null
                    ? $"the server wants credentials (RTSP 401, {answer.AuthScheme ?? "no scheme"}): add user:password@ to the URL"
                    : "the server refuses the user name or password (RTSP 401)");
            case 404:
                throw new ProbeException("the server has no stream at this path (RTSP 404)");
            default:
                // The SDP lacks something (another codec, no parameter sets) or the server answers oddly: ffprobe decides.
                return await FfprobeAsync(url, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ProbeResult> FfprobeAsync(StreamUrl url, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(ffprobePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var micros = ((long)timeout.TotalMicroseconds).ToString(CultureInfo.InvariantCulture);
        psi.ArgumentList.Add("-hide_banner");
        psi.ArgumentList.Add("-v");
        psi.ArgumentList.Add("error");
        if (transport != "automatic")
        {
            psi.ArgumentList.Add("-rtsp_transport");
            psi.ArgumentList.Add(transport);
        }

        // Half a second of analysis: ffprobe waits the whole analyzeduration on a live stream (1.5 s made the probe
        // 2.1 s on loopback; start-up and RTSP set-up are another 0.4-0.6 s), and what it needs beyond the SDP (the
        // parameter sets, a few frames for the rate) arrives well within it at common GOP lengths.
        foreach (var a in new[] { "-timeout", micros, "-analyzeduration", "500000", "-probesize", "500000", "-show_entries",
            "stream=codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate,sample_rate,channels", "-of", "json", url.WithCredentials })
        {
            psi.ArgumentList.Add(a);
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout + TimeSpan.FromSeconds(2));
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new ProbeException("ffprobe did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new ProbeException($"ffprobe ('{ffprobePath}') cannot be started: {ex.Message}; install ffmpeg or set Plugins:Rtsp:FfprobePath");
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = process.StandardError.ReadToEndAsync(cts.Token);
            try
            {
                await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
                var output = await stdout.ConfigureAwait(false);
                var errors = await stderr.ConfigureAwait(false);
                if (process.ExitCode != 0)
                {
                    var first = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";
                    throw new ProbeException(url.Scrub(first));
                }

                return Parse(output);
            }
            catch (OperationCanceledException)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already exited.
                }

                cancellationToken.ThrowIfCancellationRequested();
                throw new ProbeException($"no answer within {timeout.TotalSeconds:0.#} s");
            }
        }
    }

    /// <summary>Reads ffprobe's JSON (<c>-show_entries stream=… -of json</c>).</summary>
    internal static ProbeResult Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("streams", out var streams) || streams.ValueKind != JsonValueKind.Array)
        {
            throw new ProbeException("the stream has no media");
        }

        JsonElement? video = null;
        JsonElement? audio = null;
        foreach (var s in streams.EnumerateArray())
        {
            var type = s.TryGetProperty("codec_type", out var t) ? t.GetString() : null;
            if (type == "video" && video is null)
            {
                video = s;
            }
            else if (type == "audio" && audio is null)
            {
                audio = s;
            }
        }

        if (video is not { } v)
        {
            throw new ProbeException("the stream has no video track");
        }

        var raw = Str(v, "codec_name") ?? "unknown";
        var codec = raw switch
        {
            "h264" => PixelFormats.H264,
            "hevc" => PixelFormats.Hevc,
            "mjpeg" => PixelFormats.Mjpeg,
            _ => raw.ToUpperInvariant(),
        };
        var fps = Rate(Str(v, "avg_frame_rate"));
        if (fps <= 0 || fps > 240)
        {
            fps = Rate(Str(v, "r_frame_rate"));
        }

        if (fps > 240)
        {
            fps = 0;
        }

        AudioInput? audioInput = null;
        if (audio is { } a)
        {
            var ac = Str(a, "codec_name");
            audioInput = new AudioInput
            {
                Codec = ac switch
                {
                    "aac" => AudioCodecs.Aac,
                    "opus" => AudioCodecs.Opus,
                    "pcm_alaw" => AudioCodecs.Pcma,
                    "pcm_mulaw" => AudioCodecs.Pcmu,
                    null => null,
                    _ => ac.ToUpperInvariant(),
                },
                SampleRate = int.TryParse(Str(a, "sample_rate"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var sr) ? sr : 0,
                Channels = a.TryGetProperty("channels", out var ch) && ch.TryGetInt32(out var n) ? n : 0,
            };
        }

        return new ProbeResult(codec, Int(v, "width"), Int(v, "height"), Math.Round(fps, 3), audioInput) { RawCodec = raw };
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    private static int Int(JsonElement e, string name) => e.TryGetProperty(name, out var p) && p.TryGetInt32(out var n) ? n : 0;

    private static double Rate(string? r)
    {
        if (r is null)
        {
            return 0;
        }

        var parts = r.Split('/');
        return parts.Length == 2 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var num) &&
               double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var den) && den > 0
            ? num / den
            : 0;
    }
}

/// <summary>A probe failed; the message is safe to show (no credentials).</summary>
internal sealed class ProbeException(string message) : Exception(message);
