namespace CameraService.Plugins.Ffmpeg.Tests;

public sealed class RestartBackoffTests
{
    private static readonly FfmpegOptions Options = new() { RestartBackoff = TimeSpan.FromSeconds(1), MaxRestartBackoff = TimeSpan.FromSeconds(30) };

    [Fact]
    public void NextDelay_ProcessThatRanLongerThanTheBackoff_RestartsAtOnce()
    {
        var backoff = new RestartBackoff(Options);
        backoff.Failed();

        Assert.Equal(TimeSpan.Zero, backoff.NextDelay(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public void NextDelay_ProcessThatNeverRan_WaitsTheBackoffDoubledPerFailureInARow()
    {
        var backoff = new RestartBackoff(Options);

        backoff.Failed();
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.NextDelay(TimeSpan.Zero));
        backoff.Failed();
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.NextDelay(TimeSpan.Zero));
        backoff.Failed();
        // A process that crashed 1.5 s after its first frame: the time it ran counts toward the 4 s between two starts.
        Assert.Equal(TimeSpan.FromSeconds(2.5), backoff.NextDelay(TimeSpan.FromSeconds(1.5)));
    }
}
