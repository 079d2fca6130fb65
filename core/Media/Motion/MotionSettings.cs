using System.ComponentModel;

namespace CameraService.Core.Media.Motion;

/// <summary>A camera's motion detection settings as stored and on the wire (docs/recording.md, "Motion detection").</summary>
/// <param name="Enabled">Whether the camera's stream is watched for motion.</param>
/// <param name="Threshold">How much a pixel's brightness (0–255) must change between two frames to count as changed.</param>
/// <param name="MinArea">How much of the picture, in percent, must change for motion.</param>
/// <param name="Record">Whether motion starts a recording.</param>
/// <param name="PreSeconds">Seconds before the motion the recording includes (pre-event buffer), 0–30.</param>
/// <param name="PostSeconds">Seconds the recording goes on after the last motion.</param>
internal sealed record MotionSettings(
    bool Enabled,
    [property: Description("1-255: brightness change of a pixel that counts as changed")] int Threshold,
    [property: Description("percent of the picture that must change")] double MinArea,
    bool Record,
    [property: Description("seconds")] int PreSeconds,
    [property: Description("seconds")] int PostSeconds)
{
    public const int MinThreshold = 1;
    public const int MaxThreshold = 255;
    public const double MinMinArea = 0.01;
    public const double MaxMinArea = 100;
    public const int MaxPreSeconds = 30;
    public const int MaxPostSeconds = 3600;

    /// <summary>Off; when turned on: threshold 25, 1 % of the picture, no recording, 5 s before and 10 s after.</summary>
    public static MotionSettings Default { get; } = new(false, 25, 1.0, false, 5, 10);
}
