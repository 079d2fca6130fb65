using CameraService.Abstractions;

namespace CameraService.Plugins.Storage.Tests;

public sealed class FileNameRulesTests
{
    public static TheoryData<string, string> InvalidNames => new()
    {
        { "", "non-empty" },
        { "../etc/passwd", "separators" },
        { "..", "'..'" },
        { ".", "'..'" },
        { "a..b.mp4", "'..'" },
        { "camera0/x.mp4", "separators" },
        { "/etc/passwd", "separators" },
        { "..\\x.mp4", "separators" },
        { "x\0.mp4", "control" },
        { "x\n.mp4", "control" },
        { "x\u007f.mp4", "control" },

        // Issue 17, hole 8: names that display as something else.
        { "camera0_\u202egpj.exe", "invisible" },
        { "camera0_\u200b.mp4", "invisible" },
        { "camera0_\u2066x.mp4", "invisible" },
        { "camera0_\ufeff.mp4", "invisible" },
        { "camera0_\u2028.mp4", "invisible" },
        { "camera0_\u2029.mp4", "invisible" },
        { new string('a', 256), "255 bytes" },
        { new string('é', 128), "255 bytes" },
    };

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void ValidateFileName_InvalidName_ThrowsWithRule(string name, string ruleFragment)
    {
        var ex = Assert.Throws<InvalidParameterException>(() => FileNameRules.ValidateFileName(name));
        Assert.Equal("filename", ex.Param);
        Assert.Contains(ruleFragment, ex.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateFileName_LoneSurrogate_Refused()
    {
        // Not in the theory table: xunit would replace the lone surrogate when serializing the data.
        var ex = Assert.Throws<InvalidParameterException>(() => FileNameRules.ValidateFileName("bad\ud800.mp4"));

        Assert.Contains("Unicode", ex.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("camera0_2026-11-27_10-15-00-123456.mp4")]
    [InlineData("%2e%2e%2fetc%2fpasswd")]
    [InlineData("my snapshot (1).jpg")]
    [InlineData("ü-name.jpg")]
    public void ValidateFileName_AcceptableName_DoesNotThrow(string name)
    {
        FileNameRules.ValidateFileName(name);
        Assert.Null(FileNameRules.DescribeInvalidFileName(name));
    }

    [Fact]
    public void ValidateFileName_Exactly255Bytes_IsAccepted()
    {
        Assert.Null(FileNameRules.DescribeInvalidFileName(new string('a', 251) + ".mp4"));
    }

    [Theory]
    [InlineData("camera0", true)]
    [InlineData("cam_1-b", true)]
    [InlineData("", false)]
    [InlineData("..", false)]
    [InlineData("-camera", false)]
    [InlineData("camera/0", false)]
    [InlineData("camera 0", false)]
    public void IsValidCameraId_Table_MatchesRule(string cameraId, bool expected)
    {
        Assert.Equal(expected, FileNameRules.IsValidCameraId(cameraId));
    }

    [Fact]
    public void TryParseNameTime_MediaMtxName_ReadsMicroseconds()
    {
        var time = FileNameRules.TryParseNameTime("camera0_2026-11-27_10-15-00-123456.mp4", TimeZoneInfo.Utc);

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 10, 15, 0, TimeSpan.Zero).AddTicks(1_234_560), time);
    }

    [Fact]
    public void TryParseNameTime_SnapshotNameWithCounterAndUnderscoreCamera_ReadsSeconds()
    {
        var time = FileNameRules.TryParseNameTime("front_door_2026-11-27_10-15-02_3.jpg", TimeZoneInfo.Utc);

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 10, 15, 2, TimeSpan.Zero), time);
    }

    [Fact]
    public void TryParseNameTime_NameInLocalZone_ConvertsToUtc()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("plus2", TimeSpan.FromHours(2), "plus2", "plus2");

        var time = FileNameRules.TryParseNameTime("camera0_2026-11-27_10-15-00-000000.mp4", zone);

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 8, 15, 0, TimeSpan.Zero), time);
    }

    [Theory]
    [InlineData("holiday.jpg")]
    [InlineData("camera0_2026-13-45_99-99-99.jpg")]
    public void TryParseNameTime_NoTimestamp_ReturnsNull(string name)
    {
        Assert.Null(FileNameRules.TryParseNameTime(name, TimeZoneInfo.Utc));
    }

    [Fact]
    public void SnapshotName_WithCounter_AddsSuffixBeforeExtension()
    {
        var at = new DateTimeOffset(2026, 11, 27, 10, 15, 2, TimeSpan.Zero);

        Assert.Equal("camera0_2026-11-27_10-15-02.jpg", FileNameRules.SnapshotName("camera0", at, "jpg", 0));
        Assert.Equal("camera0_2026-11-27_10-15-02_2.jpg", FileNameRules.SnapshotName("camera0", at, "jpg", 2));
    }

    [Theory]
    [InlineData("a.mp4", "video/mp4")]
    [InlineData("a.JPG", "image/jpeg")]
    [InlineData("a.bin", "application/octet-stream")]
    public void ContentTypeOf_Extension_MapsToMime(string name, string expected)
    {
        Assert.Equal(expected, FileNameRules.ContentTypeOf(name));
    }
}
