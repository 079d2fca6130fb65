using System.Globalization;
using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.Rtsp;

/// <summary>
/// What a stream's SDP (the answer to an RTSP DESCRIBE) tells about its media: the video codec, and for H.264 the
/// size and frame rate from the SPS in <c>sprop-parameter-sets</c> (or the <c>a=framerate</c> attribute), and the
/// audio track from its <c>rtpmap</c>. Hand-written because no served .NET package parses SDP or H.264 parameter sets;
/// it reads only these few fields. <see cref="TryGetProbe"/> answers when everything a probe reports is there, so
/// the plugin does not need to start ffprobe and wait for media.
/// </summary>
internal sealed record SessionDescription(string? VideoCodec, int Width, int Height, double FrameRate, AudioInput? Audio)
{
    /// <summary>Parses <paramref name="sdp"/>; fields it does not carry are null or 0.</summary>
    public static SessionDescription Parse(string sdp)
    {
        ArgumentNullException.ThrowIfNull(sdp);
        string? media = null;
        string? videoCodec = null;
        string? videoPayload = null;
        string? videoFmtp = null;
        double framerate = 0;
        AudioInput? audio = null;
        string? audioPayload = null;
        foreach (var raw in sdp.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (line.StartsWith("m=", StringComparison.Ordinal))
            {
                var fields = line[2..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                media = fields.Length > 0 ? fields[0] : null;
                var payload = fields.Length > 3 ? fields[3] : null;
                if (media == "video" && videoPayload is null)
                {
                    videoPayload = payload;
                }
                else if (media == "audio" && audioPayload is null)
                {
                    audioPayload = payload;
                }
                else
                {
                    media = null; // a second track of a kind: the first one is described
                }

                continue;
            }

            if (media == "video")
            {
                if (Attribute(line, "rtpmap", videoPayload) is { } map && videoCodec is null)
                {
                    videoCodec = map.Split('/')[0].ToUpperInvariant();
                }
                else if (Attribute(line, "fmtp", videoPayload) is { } fmtp)
                {
                    videoFmtp = fmtp;
                }
                else if ((line.StartsWith("a=framerate:", StringComparison.Ordinal) || line.StartsWith("a=x-framerate:", StringComparison.Ordinal)) &&
                         double.TryParse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) &&
                         rate is > 0 and <= 240)
                {
                    framerate = rate;
                }
            }
            else if (media == "audio" && audio is null && Attribute(line, "rtpmap", audioPayload) is { } audioMap)
            {
                audio = AudioOf(audioMap);
            }
        }

        if (audioPayload is not null && audio is null)
        {
            // No rtpmap: a static payload type names the codec, else it is unknown (ffprobe then looks at it).
            audio = StaticAudio(audioPayload) ?? new AudioInput { Codec = null };
        }

        var (width, height, spsRate) = videoCodec == "H264" && Parameter(videoFmtp, "sprop-parameter-sets") is { } sets
            ? H264Sps.TryParse(sets.Split(',')[0], out var sps) ? (sps.Width, sps.Height, sps.FrameRate) : (0, 0, 0.0)
            : (0, 0, 0.0);
        return new SessionDescription(videoCodec, width, height, framerate > 0 ? framerate : spsRate, audio);
    }

    /// <summary>
    /// The probe result when the SDP carries everything (a codec the plugin knows, size and rate, and a known audio
    /// codec if there is audio); otherwise false and ffprobe has to look at the media.
    /// </summary>
    public bool TryGetProbe(out ProbeResult probe)
    {
        probe = null!;
        var codec = VideoCodec switch
        {
            "H264" => PixelFormats.H264,
            _ => null,
        };
        if (codec is null || Width <= 0 || Height <= 0 || FrameRate <= 0 || (Audio is not null && (Audio.Codec is null || Audio.SampleRate <= 0)))
        {
            return false;
        }

        probe = new ProbeResult(codec, Width, Height, Math.Round(FrameRate, 3), Audio) { RawCodec = "h264", Method = "sdp" };
        return true;
    }

    /// <summary>The value of <c>a=&lt;name&gt;:&lt;payload&gt; value</c> for the track's payload type, or null.</summary>
    private static string? Attribute(string line, string name, string? payload)
    {
        var prefix = "a=" + name + ":";
        if (!line.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = line[prefix.Length..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || (payload is not null && rest[..space] != payload))
        {
            return null;
        }

        return rest[(space + 1)..].Trim();
    }

    /// <summary>One <c>key=value</c> of an fmtp line (<c>a; b=c; …</c>), or null.</summary>
    private static string? Parameter(string? fmtp, string key)
    {
        if (fmtp is null)
        {
            return null;
        }

        foreach (var part in fmtp.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && part[..eq].Trim().Equals(key, StringComparison.OrdinalIgnoreCase))
            {
                return part[(eq + 1)..].Trim();
            }
        }

        return null;
    }

    /// <summary>An audio rtpmap value (<c>MPEG4-GENERIC/16000/1</c>, <c>PCMA/8000</c>, <c>opus/48000/2</c>).</summary>
    private static AudioInput AudioOf(string map)
    {
        var parts = map.Split('/');
        var name = parts[0].ToUpperInvariant();
        var rate = parts.Length > 1 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0;
        var channels = parts.Length > 2 && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : 1;
        return new AudioInput
        {
            Codec = name switch
            {
                "MPEG4-GENERIC" or "MP4A-LATM" => AudioCodecs.Aac,
                "OPUS" => AudioCodecs.Opus,
                "PCMA" => AudioCodecs.Pcma,
                "PCMU" => AudioCodecs.Pcmu,
                _ => null,
            },
            SampleRate = rate,
            Channels = channels,
        };
    }

    /// <summary>The static RTP payload types of RFC 3551 that name an audio codec (0 = PCMU, 8 = PCMA), without rtpmap.</summary>
    private static AudioInput? StaticAudio(string payload) => payload switch
    {
        "0" => new AudioInput { Codec = AudioCodecs.Pcmu, SampleRate = 8000, Channels = 1 },
        "8" => new AudioInput { Codec = AudioCodecs.Pcma, SampleRate = 8000, Channels = 1 },
        _ => null,
    };
}

/// <summary>The picture size and frame rate of an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1, E.1.1).</summary>
internal sealed record H264Sps(int Width, int Height, double FrameRate)
{
    private static readonly int[] HighProfiles = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135];

    /// <summary>Parses a base64 SPS NAL unit (as in <c>sprop-parameter-sets</c>); false when it is not one or is cut short.</summary>
    public static bool TryParse(string base64, out H264Sps sps)
    {
        sps = null!;
        byte[] nal;
        try
        {
            nal = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        if (nal.Length < 4 || (nal[0] & 0x1f) != 7)
        {
            return false;
        }

        try
        {
            sps = Read(new BitReader(Unescape(nal.AsSpan(1))));
            return sps.Width > 0 && sps.Height > 0;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    private static H264Sps Read(BitReader r)
    {
        var profile = r.Bits(8);
        r.Bits(16); // constraint flags, level
        r.Ue(); // seq_parameter_set_id
        var chromaFormat = 1;
        var separateColourPlanes = false;
        if (HighProfiles.Contains(profile))
        {
            chromaFormat = r.Ue();
            if (chromaFormat == 3)
            {
                separateColourPlanes = r.Bit();
            }

            r.Ue(); // bit_depth_luma_minus8
            r.Ue(); // bit_depth_chroma_minus8
            r.Bit(); // qpprime_y_zero_transform_bypass_flag
            if (r.Bit())
            {
                for (var i = 0; i < (chromaFormat != 3 ? 8 : 12); i++)
                {
                    if (r.Bit())
                    {
                        SkipScalingList(r, i < 6 ? 16 : 64);
                    }
                }
            }
        }

        r.Ue(); // log2_max_frame_num_minus4
        var pocType = r.Ue();
        if (pocType == 0)
        {
            r.Ue();
        }
        else if (pocType == 1)
        {
            r.Bit();
            r.Se();
            r.Se();
            var cycle = r.Ue();
            for (var i = 0; i < cycle; i++)
            {
                r.Se();
            }
        }

        r.Ue(); // max_num_ref_frames
        r.Bit(); // gaps_in_frame_num_value_allowed_flag
        var widthMbs = r.Ue() + 1;
        var heightMapUnits = r.Ue() + 1;
        var frameMbsOnly = r.Bit();
        if (!frameMbsOnly)
        {
            r.Bit(); // mb_adaptive_frame_field_flag
        }

        r.Bit(); // direct_8x8_inference_flag
        int cropLeft = 0, cropRight = 0, cropTop = 0, cropBottom = 0;
        if (r.Bit())
        {
            cropLeft = r.Ue();
            cropRight = r.Ue();
            cropTop = r.Ue();
            cropBottom = r.Ue();
        }

        var chromaArrayType = separateColourPlanes ? 0 : chromaFormat;
        var fieldFactor = frameMbsOnly ? 1 : 2;
        var (cropX, cropY) = chromaArrayType switch
        {
            0 => (1, fieldFactor),
            1 => (2, 2 * fieldFactor),
            2 => (2, fieldFactor),
            _ => (1, fieldFactor),
        };
        var width = (widthMbs * 16) - (cropX * (cropLeft + cropRight));
        var height = (fieldFactor * heightMapUnits * 16) - (cropY * (cropTop + cropBottom));
        var fps = 0.0;
        if (r.Bit() && r.TryReadTiming(out var unitsInTick, out var timeScale) && unitsInTick > 0)
        {
            fps = timeScale / (2.0 * unitsInTick);
            fps = fps is > 0 and <= 240 ? Math.Round(fps, 3) : 0;
        }

        return new H264Sps(width, height, fps);
    }

    private static void SkipScalingList(BitReader r, int size)
    {
        int last = 8, next = 8;
        for (var j = 0; j < size; j++)
        {
            if (next != 0)
            {
                next = (last + r.Se() + 256) % 256;
            }

            last = next == 0 ? last : next;
        }
    }

    /// <summary>Removes the emulation prevention bytes (00 00 03 → 00 00).</summary>
    private static byte[] Unescape(ReadOnlySpan<byte> data)
    {
        var output = new List<byte>(data.Length);
        var zeros = 0;
        foreach (var b in data)
        {
            if (zeros >= 2 && b == 3)
            {
                zeros = 0;
                continue;
            }

            output.Add(b);
            zeros = b == 0 ? zeros + 1 : 0;
        }

        return [.. output];
    }

    /// <summary>An MSB-first bit reader with Exp-Golomb codes.</summary>
    private sealed class BitReader(byte[] data)
    {
        private int _position;

        public bool Bit()
        {
            if (_position >= data.Length * 8)
            {
                throw new EndOfStreamException();
            }

            var bit = (data[_position >> 3] >> (7 - (_position & 7))) & 1;
            _position++;
            return bit == 1;
        }

        public int Bits(int count)
        {
            var value = 0L;
            for (var i = 0; i < count; i++)
            {
                value = (value << 1) | (Bit() ? 1L : 0L);
            }

            return (int)value;
        }

        public int Ue()
        {
            var zeros = 0;
            while (!Bit())
            {
                if (++zeros > 31)
                {
                    throw new EndOfStreamException();
                }
            }

            return zeros == 0 ? 0 : (int)((1L << zeros) - 1 + (uint)Bits(zeros));
        }

        public int Se()
        {
            var k = Ue();
            return (k & 1) == 1 ? (k + 1) / 2 : -(k / 2);
        }

        /// <summary>The VUI up to its timing info (E.1.1): num_units_in_tick and time_scale, when present.</summary>
        public bool TryReadTiming(out long unitsInTick, out long timeScale)
        {
            unitsInTick = 0;
            timeScale = 0;
            if (Bit() && Bits(8) == 255)
            {
                Bits(16);
                Bits(16); // sar_width, sar_height
            }

            if (Bit())
            {
                Bit(); // overscan_appropriate_flag
            }

            if (Bit())
            {
                Bits(4); // video_format, video_full_range_flag
                if (Bit())
                {
                    Bits(24); // colour primaries, transfer, matrix
                }
            }

            if (Bit())
            {
                Ue();
                Ue(); // chroma sample locations
            }

            if (!Bit())
            {
                return false;
            }

            unitsInTick = ((long)Bits(16) << 16) | (long)Bits(16);
            timeScale = ((long)Bits(16) << 16) | (long)Bits(16);
            return true;
        }
    }
}
