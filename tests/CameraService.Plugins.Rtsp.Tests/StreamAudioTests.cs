using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.Rtsp.Tests;

/// <summary>A network camera's audio track becomes its capture input's audio (issue 21 item 5: RTSP sources record their audio track).</summary>
public sealed class StreamAudioTests
{
    private static StreamEntry Entry()
    {
        Assert.True(StreamUrl.TryParse("rtsp://192.0.2.1:8554/cam", out var url, out _));
        return new StreamEntry(url, "Door", "rtsp", Configured: true, DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public void ProbedAudioTrack_IsTheCaptureInputsAudio()
    {
        var audio = new AudioInput { Codec = AudioCodecs.Aac, SampleRate = 16000, Channels = 1 };

        var camera = StreamDescriptions.Camera(Entry(), new ProbeResult(PixelFormats.H264, 1280, 720, 25, audio) { RawCodec = "h264", Method = "sdp" }, "automatic");

        Assert.Equal(audio, Assert.IsType<NetworkCaptureInput>(camera.CaptureInput).Audio);
    }

    [Fact]
    public void StreamWithoutAudio_HasNone()
    {
        var camera = StreamDescriptions.Camera(Entry(), new ProbeResult(PixelFormats.H264, 1280, 720, 25, null) { RawCodec = "h264", Method = "sdp" }, "automatic");

        Assert.Null(camera.CaptureInput!.Audio);
    }
}
