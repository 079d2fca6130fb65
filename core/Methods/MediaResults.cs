using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using CameraService.Core.Media;

namespace CameraService.Core.Methods;

// Result shapes of the media methods, exactly as api-contract.md §4 names them (snake_case on the wire). The OpenRPC
// result schemas are generated from them (RpcResultSchema): the attributes are what the types alone cannot say.

internal sealed record SnapshotResultDto(
    string Device,
    string Filename,
    [property: AllowedValues("SUCCESS")] string Status,
    [property: DataType(DataType.DateTime)] string Timestamp,
    long FileSize,
    string DownloadUrl);

internal sealed record StartRecordingResult(
    string Device,
    string SessionId,
    [property: Description("the first segment's name, once known")] string? Filename,
    [property: AllowedValues("RECORDING")] string Status,
    [property: DataType(DataType.DateTime)] string StartTime,
    [property: Description("seconds; null = until stop_recording")] int? Duration,
    string Format,
    [property: Description("whether the camera's audio is recorded")] bool Audio,
    [property: Description("seconds before the call the recording includes (pre-event buffer); start_time is that much earlier")] double PreSeconds);

internal sealed record RecordingFileDto(string Filename, long FileSize, string DownloadUrl, [property: Description(FileFormats.Description)] string Format);

/// <summary>The <c>format</c> of a file entry (api-contract §8.2): <c>mp4</c> (also fragmented MP4), <c>mkv</c>, <c>jpeg</c>, <c>png</c>.</summary>
internal static class FileFormats
{
    /// <summary>The schema description of the <c>format</c> field.</summary>
    public const string Description = "the file's format from its extension: mp4 (also fragmented MP4), mkv, jpeg or png";

    /// <summary>The format named by the file's extension; an extension outside the contract's list is passed on in lower case.</summary>
    public static string Of(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".mp4" or ".m4s" => "mp4",
        ".mkv" => "mkv",
        ".jpg" or ".jpeg" => "jpeg",
        ".png" => "png",
        var other => other.TrimStart('.'),
    };
}

internal sealed record StopRecordingResult(
    string Device,
    string SessionId,
    string? Filename,
    [property: AllowedValues("STOPPED", "ERROR"), Description("ERROR when finalizing failed; reason says why")] string Status,
    [property: DataType(DataType.DateTime)] string StartTime,
    [property: DataType(DataType.DateTime)] string EndTime,
    [property: Description("seconds")] double Duration,
    long FileSize,
    string Format,
    [property: Description("every segment written")] IReadOnlyList<RecordingFileDto> Files,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason);

internal sealed record RecordingStatusResult(
    string Device,
    [property: AllowedValues("RECORDING", "STOPPED")] string Status,
    string? SessionId,
    [property: DataType(DataType.DateTime)] string? StartTime,
    double ElapsedSeconds,
    [property: Description("seconds; null = unlimited")] int? DurationLimit,
    long BytesWritten,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), AllowedValues("STOPPED", "ERROR", "FAILED"), Description("how the last session ended")] string? LastStatus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason);

internal sealed record StartStreamingResult(
    string Device,
    string StreamName,
    string? StreamUrl,
    [property: AllowedValues("STARTED")] string Status,
    [property: DataType(DataType.DateTime)] string StartTime,
    string? AutoCloseAfter);

internal sealed record StopStreamingResult(
    string Device,
    string StreamName,
    [property: AllowedValues("STOPPED")] string Status,
    [property: DataType(DataType.DateTime)] string? StartTime,
    [property: DataType(DataType.DateTime)] string EndTime,
    [property: Description("seconds")] double Duration,
    [property: Description("true when the stream keeps running (e.g. a recording still needs it)")] bool StreamContinues);

internal sealed record StreamUrlResult(
    string Device,
    string StreamName,
    string? StreamUrl,
    bool Available,
    int ActiveConsumers,
    [property: AllowedValues("READY", "NOT_READY", "ERROR")] string StreamStatus,
    StreamUrlsDto Streams);

internal sealed record StreamUrlsDto(string? Rtsp, string? Hls, string? Webrtc);

internal sealed record StreamStatusResult(
    string Device,
    string StreamName,
    [property: AllowedValues("ACTIVE", "INACTIVE", "ERROR", "STARTING", "STOPPING")] string Status,
    bool Ready,
    int Readers,
    long BytesSent,
    [property: DataType(DataType.DateTime)] string? StartTime);

internal sealed record StreamListItem(string Name, string Source, bool Ready, int Readers, long BytesSent);

internal sealed record FileListItem(
    string Filename,
    string Device,
    long FileSize,
    [property: DataType(DataType.DateTime)] string ModifiedTime,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("seconds (recordings)")] double? Duration,
    string DownloadUrl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault), Description("present (true) while a recording is still being written")] bool InProgress,
    [property: Description(FileFormats.Description)] string Format);

internal sealed record FileListResult(
    IReadOnlyList<FileListItem> Files,
    int Total,
    int Limit,
    int Offset,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("pass as cursor for the next page; absent on the last page")] string? NextCursor = null);

internal sealed record FileInfoResult(
    string Filename,
    string Device,
    long FileSize,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("seconds (recordings)")] double? Duration,
    [property: DataType(DataType.DateTime)] string CreatedTime,
    [property: DataType(DataType.DateTime)] string ModifiedTime,
    string DownloadUrl,
    bool InProgress,
    [property: Description(FileFormats.Description)] string Format);

internal sealed record DeleteResult(string Filename, [property: AllowedValues(true)] bool Deleted, string Message);

internal sealed record StorageInfoResult(
    long TotalSpace,
    long UsedSpace,
    long AvailableSpace,
    double UsagePercentage,
    long RecordingsSize,
    long SnapshotsSize,
    bool LowSpaceWarning,
    double WarnPercent,
    double BlockPercent,
    [property: AllowedValues("OK", "WARNING", "CRITICAL")] string Status);

internal sealed record RetentionPolicyResult(
    [property: AllowedValues("age", "size", "manual")] string PolicyType,
    bool Enabled,
    double? MaxAgeDays,
    double? MaxSizeGb,
    double? MinFreePercent,
    string Message);

internal sealed record CleanupResultDto(bool CleanupExecuted, int FilesDeleted, long SpaceFreed, string Message);

internal sealed record RecordingMetricsEntry(string Device, string SessionId, double ElapsedSeconds, int? DurationLimit, long BytesWritten);

internal sealed record RecordingMetricsResult(int ActiveRecordings, long BytesWritten, IReadOnlyList<RecordingMetricsEntry> Sessions);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SnapshotResultDto))]
[JsonSerializable(typeof(StartRecordingResult))]
[JsonSerializable(typeof(StopRecordingResult))]
[JsonSerializable(typeof(RecordingStatusResult))]
[JsonSerializable(typeof(StartStreamingResult))]
[JsonSerializable(typeof(StopStreamingResult))]
[JsonSerializable(typeof(StreamUrlResult))]
[JsonSerializable(typeof(StreamStatusResult))]
[JsonSerializable(typeof(IReadOnlyList<StreamListItem>))]
[JsonSerializable(typeof(FileListResult))]
[JsonSerializable(typeof(FileInfoResult))]
[JsonSerializable(typeof(DeleteResult))]
[JsonSerializable(typeof(StorageInfoResult))]
[JsonSerializable(typeof(RetentionPolicyResult))]
[JsonSerializable(typeof(CleanupResultDto))]
[JsonSerializable(typeof(List<PersistedSession>))]
[JsonSerializable(typeof(RecordingMetricsResult))]
internal sealed partial class MediaJsonContext : JsonSerializerContext;
