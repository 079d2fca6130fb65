using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.Rtsp.Tests;

/// <summary>
/// The SDP part of the probe: codec, size and rate from H.264 parameter sets (SPS produced by x264 for the stated
/// sizes and rates), the framerate attribute, audio tracks, and when ffprobe is still needed.
/// </summary>
public sealed class SessionDescriptionTests
{
    // x264, main profile, 320x240 at 15 fps (VUI timing: num_units_in_tick 1, time_scale 30).
    private const string Sps320x240At15 = "Z01ADOygoP2AiAAAAwAIAAADAPB4oUyw";

    // x264, high profile, 1920x1080 at 25 fps: coded as 1920x1088 with 8 lines cropped at the bottom.
    private const string Sps1080pAt25 = "Z2QAKKzZQHgCJ+XARAAAAwAEAAADAMg8YMZY";

    // x264, constrained baseline, 1280x720 at 30000/1001 fps.
    private const string Sps720pAt2997 = "Z0LAH9kAUAW7ARAAAD6QAA6mAPGDJIA=";

    private static string Sdp(string video, string? audio = null) =>
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=Session\r\nt=0 0\r\n" + video + (audio ?? string.Empty);

    private static string H264(string sps, string extra = "") =>
        "m=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 H264/90000\r\n" +
        $"a=fmtp:96 packetization-mode=1;sprop-parameter-sets={sps},aO48gA==;profile-level-id=4d400c\r\n{extra}a=control:stream=0\r\n";

    [Theory]
    [InlineData(Sps320x240At15, 320, 240, 15.0)]
    [InlineData(Sps1080pAt25, 1920, 1080, 25.0)]
    [InlineData(Sps720pAt2997, 1280, 720, 29.97)]
    public void H264Sps_SizeWithCroppingAndRateFromVuiTiming(string sps, int width, int height, double fps)
    {
        Assert.True(H264Sps.TryParse(sps, out var parsed));

        Assert.Equal((width, height, fps), (parsed.Width, parsed.Height, parsed.FrameRate));
    }

    [Fact]
    public void H264WithAacTrack_EverythingFromTheSdp()
    {
        var sdp = Sdp(H264(Sps320x240At15), "m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/16000/1\r\na=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=1408\r\n");

        Assert.True(SessionDescription.Parse(sdp).TryGetProbe(out var probe));

        Assert.Equal((PixelFormats.H264, 320, 240, 15.0, "sdp"), (probe.Codec, probe.Width, probe.Height, probe.FrameRate, probe.Method));
        Assert.NotNull(probe.Audio);
        Assert.Equal((AudioCodecs.Aac, 16000, 1), (probe.Audio.Codec, probe.Audio.SampleRate, probe.Audio.Channels));
    }

    [Fact]
    public void FramerateAttribute_IsTheRate_EvenWhenTheSpsSaysOtherwise()
    {
        var description = SessionDescription.Parse(Sdp(H264(Sps1080pAt25, "a=framerate:12.5\r\n")));

        Assert.True(description.TryGetProbe(out var probe));
        Assert.Equal(12.5, probe.FrameRate);
        Assert.Null(probe.Audio);
    }

    [Theory]
    [InlineData("m=audio 0 RTP/AVP 0\r\n", AudioCodecs.Pcmu, 8000, 1)]
    [InlineData("m=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n", AudioCodecs.Pcma, 8000, 1)]
    [InlineData("m=audio 0 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n", AudioCodecs.Opus, 48000, 2)]
    public void AudioTracks_CodecRateChannels(string audio, string codec, int rate, int channels)
    {
        Assert.True(SessionDescription.Parse(Sdp(H264(Sps320x240At15), audio)).TryGetProbe(out var probe));

        Assert.Equal((codec, rate, channels), (probe.Audio!.Codec, probe.Audio.SampleRate, probe.Audio.Channels));
    }

    [Theory]
    [InlineData("m=video 0 RTP/AVP 96\r\na=rtpmap:96 H265/90000\r\na=fmtp:96 sprop-vps=QAEMAf//;sprop-sps=QgEB\r\n", null)]
    [InlineData("m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n", null)]
    [InlineData("m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 sprop-parameter-sets=!!notbase64,aO48gA==\r\n", null)]
    [InlineData("m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 sprop-parameter-sets=" + Sps320x240At15 + "\r\n", "m=audio 0 RTP/AVP 98\r\na=rtpmap:98 G726-32/8000\r\n")]
    [InlineData("m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/16000/1\r\n", null)]
    public void SdpWithoutEverything_NeedsFfprobe(string media, string? audio)
    {
        Assert.False(SessionDescription.Parse(Sdp(media, audio)).TryGetProbe(out _));
    }

    [Fact]
    public void H265Sdp_NamesTheCodecForTheMessage()
    {
        var description = SessionDescription.Parse(Sdp("m=video 0 RTP/AVP 96\r\na=rtpmap:96 H265/90000\r\n"));

        Assert.Equal("H265", description.VideoCodec);
    }
}
