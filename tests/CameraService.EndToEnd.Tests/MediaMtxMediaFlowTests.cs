namespace CameraService.EndToEnd.Tests;

/// <summary>The media flows against the MediaMTX backend and the emulator in media mode with its RTSP endpoint.</summary>
public sealed class MediaMtxMediaFlowTests(MediaMtxServiceFixture fixture) : MediaFlowTests<MediaMtxServiceFixture>(fixture)
{
    protected override bool RecordsMkv => false;

    [Fact]
    public async Task StartRecording_MediaMtxPath_HasRecordOnUntilStop()
    {
        var started = await Client.StartRecordingAsync("camera1");
        try
        {
            Assert.Equal(true, Fixture.Emulator.PathConf("camera1")?["record"]?.GetValue<bool>());
        }
        finally
        {
            await Client.StopRecordingAsync("camera1");
        }

        Assert.Equal(false, Fixture.Emulator.PathConf("camera1")?["record"]?.GetValue<bool>());
        Assert.Equal("STOPPED", (await Client.GetRecordingStatusAsync("camera1")).Status);
        Assert.Equal(started.SessionId, (await Client.GetRecordingStatusAsync("camera1")).SessionId);
    }
}
