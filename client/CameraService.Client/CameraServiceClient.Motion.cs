namespace CameraService.Client;

public sealed partial class CameraServiceClient
{
    /// <summary>
    /// <c>set_motion_detection</c> (operator): turns the camera's motion detection on or off; null arguments keep their
    /// stored value. With <paramref name="record"/> motion records (<c>reason: "motion"</c>), including
    /// <paramref name="preSeconds"/> before and <paramref name="postSeconds"/> after the last motion.
    /// </summary>
    public Task<MotionDetection> SetMotionDetectionAsync(
        string device,
        bool enabled,
        int? threshold = null,
        double? minArea = null,
        bool? record = null,
        int? preSeconds = null,
        int? postSeconds = null,
        CancellationToken cancellationToken = default)
    {
        var parameters = new Dictionary<string, object?> { ["device"] = device, ["enabled"] = enabled };
        AddIfSet(parameters, "threshold", threshold);
        AddIfSet(parameters, "min_area", minArea);
        AddIfSet(parameters, "record", record);
        AddIfSet(parameters, "pre_seconds", preSeconds);
        AddIfSet(parameters, "post_seconds", postSeconds);
        return SendAsync("set_motion_detection", parameters, ClientJsonContext.Default.MotionDetection, true, cancellationToken);
    }

    /// <summary><c>get_motion_detection</c>: the camera's motion detection (off with the defaults when none was set) and its state now.</summary>
    public Task<MotionDetection> GetMotionDetectionAsync(string device, CancellationToken cancellationToken = default) =>
        SendAsync("get_motion_detection", Device(device), ClientJsonContext.Default.MotionDetection, true, cancellationToken);

    /// <summary><c>list_motion_detection</c>: every camera's motion detection.</summary>
    public Task<MotionDetectionList> ListMotionDetectionAsync(CancellationToken cancellationToken = default) =>
        SendAsync("list_motion_detection", null, ClientJsonContext.Default.MotionDetectionList, true, cancellationToken);

    private static void AddIfSet<T>(Dictionary<string, object?> parameters, string name, T? value)
        where T : struct
    {
        if (value is { } v)
        {
            parameters[name] = v;
        }
    }
}
