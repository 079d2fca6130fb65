namespace CameraService.Client;

public sealed partial class CameraServiceClient
{
    /// <summary>
    /// <c>set_recording_schedule</c> (operator): stores the camera's weekly recording windows; inside a window the camera
    /// records (<c>reason: "schedule"</c>). <paramref name="timeZone"/> is an IANA id; null = the service box's zone.
    /// </summary>
    public Task<RecordingSchedule> SetRecordingScheduleAsync(
        string device, bool enabled, IReadOnlyList<ScheduleWindow> windows, string? timeZone = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var list = windows.Select(w => (object?)new Dictionary<string, object?> { ["days"] = w.Days.ToArray(), ["start"] = w.Start, ["end"] = w.End }).ToList();
        return SendAsync(
            "set_recording_schedule",
            new Dictionary<string, object?> { ["device"] = device, ["enabled"] = enabled, ["windows"] = list, ["time_zone"] = timeZone },
            ClientJsonContext.Default.RecordingSchedule,
            true,
            cancellationToken);
    }

    /// <summary><c>get_recording_schedule</c>: the camera's schedule (disabled with no windows when none was set) and its state now.</summary>
    public Task<RecordingSchedule> GetRecordingScheduleAsync(string device, CancellationToken cancellationToken = default) =>
        SendAsync("get_recording_schedule", Device(device), ClientJsonContext.Default.RecordingSchedule, true, cancellationToken);

    /// <summary><c>list_recording_schedules</c>: every camera that has a schedule.</summary>
    public Task<RecordingScheduleList> ListRecordingSchedulesAsync(CancellationToken cancellationToken = default) =>
        SendAsync("list_recording_schedules", null, ClientJsonContext.Default.RecordingScheduleList, true, cancellationToken);
}
