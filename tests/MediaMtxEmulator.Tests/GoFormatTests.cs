namespace MediaMtxEmulator.Tests;

public sealed class GoFormatTests
{
    [Theory]
    [InlineData(0, "")]
    [InlineData(10, "10s")]
    [InlineData(1, "1s")]
    [InlineData(0.2, "200ms")]
    [InlineData(3600, "1h0m0s")]
    [InlineData(90, "1m30s")]
    [InlineData(86400, "1d")]
    [InlineData(672800, "7d18h53m20s")]
    [InlineData(1.5, "1.5s")]
    public void FormatDuration_GoSemantics_MatchesMediaMtx(double seconds, string expected) =>
        Assert.Equal(expected, GoFormat.FormatDuration(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData("1h", 3600)]
    [InlineData("90m", 5400)]
    [InlineData("1d", 86400)]
    [InlineData("0s", 0)]
    [InlineData("", 0)]
    [InlineData("1h30m10.5s", 5410.5)]
    [InlineData("200ms", 0.2)]
    public void TryParseDuration_ValidInput_Parses(string input, double seconds)
    {
        Assert.True(GoFormat.TryParseDuration(input, out var d));
        Assert.Equal(TimeSpan.FromSeconds(seconds), d);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("10")]
    [InlineData("5x")]
    public void TryParseDuration_Invalid_Fails(string input) => Assert.False(GoFormat.TryParseDuration(input, out _));

    [Theory]
    [InlineData(52428800UL, "50M")]
    [InlineData(1536UL, "1.5K")]
    [InlineData(100UL, "100B")]
    [InlineData(1073741824UL, "1G")]
    public void FormatSize_Bytefmt_MatchesMediaMtx(ulong bytes, string expected) => Assert.Equal(expected, GoFormat.FormatSize(bytes));

    [Fact]
    public void FormatTime_TrimsZeroFractionAndUsesOffset()
    {
        Assert.Equal("2008-11-07T11:22:00.5+01:00", GoFormat.FormatTime(new DateTimeOffset(2008, 11, 7, 11, 22, 0, 500, TimeSpan.FromHours(1))));
        Assert.Equal("2008-11-07T11:22:00+01:00", GoFormat.FormatTime(new DateTimeOffset(2008, 11, 7, 11, 22, 0, TimeSpan.FromHours(1))));
        Assert.Equal("2008-11-07T11:22:00Z", GoFormat.FormatTime(new DateTimeOffset(2008, 11, 7, 11, 22, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void ShellSplit_QuotesAndEscapes_LikeGoShellquote()
    {
        Assert.Equal(["ffmpeg", "-i", "/dev/v4l/by-id/my cam", "-vf", "a'b", "x\"y"], GoFormat.ShellSplit("ffmpeg -i '/dev/v4l/by-id/my cam' -vf \"a'b\" x\\\"y"));
    }

    [Fact]
    public void Expand_DollarAndBraces_UnknownBecomesEmpty()
    {
        var env = new Dictionary<string, string> { ["MTX_PATH"] = "cam", ["RTSP_PORT"] = "8554" };
        Assert.Equal("rtsp://localhost:8554/cam/", GoFormat.Expand("rtsp://localhost:$RTSP_PORT/${MTX_PATH}/$NOPE_X", k => env.GetValueOrDefault(k)));
    }
}
