using System.Text.Json;
using System.Text.Json.Serialization;

namespace CameraService.Client;

/// <summary>An entry of a menu control.</summary>
public sealed record CameraControlMenuItem(long Value, string Label);

/// <summary>A camera control (brightness, exposure, focus, pan/tilt/zoom, …) as <c>get_camera_controls</c> lists it.</summary>
/// <param name="Name">Stable snake_case name, e.g. <c>exposure_time_absolute</c>.</param>
/// <param name="Type"><c>integer</c>, <c>boolean</c>, <c>menu</c> or <c>button</c>.</param>
/// <param name="Min">Smallest value.</param>
/// <param name="Max">Largest value.</param>
/// <param name="Step">Step between values.</param>
/// <param name="Default">The driver's default.</param>
/// <param name="Value">Current value; null for buttons, relative and write-only controls.</param>
/// <param name="Menu">Entries of a menu control; null otherwise.</param>
/// <param name="ReadOnly">Can be read, not set.</param>
/// <param name="Inactive">Has no effect now (e.g. exposure time while automatic exposure is on); setting it is refused.</param>
public sealed record CameraControl(
    string Name, string Type, long Min, long Max, long Step, long Default, long? Value, IReadOnlyList<CameraControlMenuItem>? Menu, bool ReadOnly, bool Inactive)
{
    /// <summary>Held by another user (e.g. while streaming); setting it is refused until released.</summary>
    public bool Grabbed { get; init; }

    /// <summary>Moves by an amount (<c>pan_relative</c>, <c>zoom_continuous</c>): no value, never persisted.</summary>
    public bool Relative { get; init; }

    /// <summary>An automatic mode other controls depend on.</summary>
    public bool AutoMode { get; init; }

    /// <summary>The device's own name for the control, for display.</summary>
    public string? Label { get; init; }

    /// <summary>Whether the service keeps a value for this control and re-applies it on replug and restart.</summary>
    public bool Persisted { get; init; }

    /// <summary>Fields the service sends that this client version does not know.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>Result of <c>get_camera_controls</c>.</summary>
public sealed record CameraControls(string Device, IReadOnlyList<CameraControl> Controls);

/// <summary>Result of <c>set_camera_controls</c>: the values now in effect and every control after the change.</summary>
public sealed record CameraControlsSet(string Device, IReadOnlyDictionary<string, long> Applied, IReadOnlyList<CameraControl> Controls)
{
    /// <summary>Whether the values were saved for this camera.</summary>
    public bool Persisted { get; init; }
}

/// <summary>Result of <c>reset_camera_controls</c>.</summary>
public sealed record CameraControlsReset(string Device, bool Reset, IReadOnlyDictionary<string, long> Applied, IReadOnlyList<CameraControl> Controls)
{
    /// <summary>Controls left as they were, with the reason (e.g. <c>inactive</c> once their automatic mode is back on).</summary>
    public IReadOnlyDictionary<string, string>? Skipped { get; init; }
}

/// <summary>The <c>camera_controls_changed</c> notification (topic <c>camera.controls</c>).</summary>
public sealed record CameraControlsChanged(string Device, IReadOnlyDictionary<string, long> Controls);

/// <summary>Result of <c>set_camera_format</c>; <see cref="Restarted"/> is true when the capture changed (the stream restarts).</summary>
public sealed record CameraFormatSet(string Device, string Format, string Resolution, double Fps, bool Restarted);

/// <summary>A weekly window of a recording schedule: wall-clock <c>HH:MM</c> times in the schedule's zone.</summary>
/// <param name="Days">The days the window starts on: <c>mon</c> … <c>sun</c>.</param>
/// <param name="Start">Start, <c>HH:MM</c>.</param>
/// <param name="End">End, <c>HH:MM</c> (<c>24:00</c> = end of the day); at or before the start it ends on the next day.</param>
public sealed record ScheduleWindow(IReadOnlyList<string> Days, string Start, string End);

/// <summary>A camera's recording schedule (<c>set/get_recording_schedule</c>) and what it does now.</summary>
/// <param name="Device">The camera.</param>
/// <param name="Enabled">Whether the schedule drives recording.</param>
/// <param name="Windows">The weekly windows.</param>
/// <param name="TimeZone">The IANA zone of the windows.</param>
/// <param name="Active">A window is open now.</param>
/// <param name="HeldOff">A client's stop holds the schedule off until its next window.</param>
public sealed record RecordingSchedule(string Device, bool Enabled, IReadOnlyList<ScheduleWindow> Windows, string TimeZone, bool Active, bool HeldOff)
{
    /// <summary>When the open window ends (UTC), or null.</summary>
    public DateTimeOffset? WindowEnd { get; init; }

    /// <summary>When the next window starts (UTC, within a week), or null.</summary>
    public DateTimeOffset? NextStart { get; init; }
}

/// <summary>Result of <c>list_recording_schedules</c>.</summary>
public sealed record RecordingScheduleList(IReadOnlyList<RecordingSchedule> Schedules, int Total);

/// <summary>A camera's motion detection (<c>set/get_motion_detection</c>): its settings and what the detector does now.</summary>
/// <param name="Device">The camera.</param>
/// <param name="Enabled">Whether the stream is watched for motion.</param>
/// <param name="Threshold">Brightness change (1–255) that counts a pixel as changed.</param>
/// <param name="MinArea">Percent of the picture that must change for motion.</param>
/// <param name="Record">Whether motion starts a recording (<c>reason: "motion"</c>).</param>
/// <param name="PreSeconds">Seconds before the motion a recording includes.</param>
/// <param name="PostSeconds">Seconds a recording goes on after the last motion.</param>
/// <param name="State"><c>off</c>, <c>waiting</c>, <c>starting</c>, <c>running</c> or <c>retrying</c>.</param>
/// <param name="Motion">Motion is being seen now.</param>
public sealed record MotionDetection(string Device, bool Enabled, int Threshold, double MinArea, bool Record, int PreSeconds, int PostSeconds, string State, bool Motion)
{
    /// <summary>When motion was last seen (UTC), or null.</summary>
    public DateTimeOffset? LastMotion { get; init; }

    /// <summary>Why the frame reader failed last, or null.</summary>
    public string? LastError { get; init; }
}

/// <summary>Result of <c>list_motion_detection</c>.</summary>
public sealed record MotionDetectionList(IReadOnlyList<MotionDetection> Cameras, int Total);

/// <summary>The <c>motion_detected</c> notification (topic <c>camera.motion</c>): motion started (<see cref="Active"/>) or ended.</summary>
/// <param name="Device">The camera.</param>
/// <param name="Active">True when motion starts, false when it ends.</param>
/// <param name="Score">Percent of the picture that changed.</param>
/// <param name="Timestamp">When (UTC).</param>
public sealed record MotionDetected(string Device, bool Active, double Score, DateTimeOffset Timestamp);
