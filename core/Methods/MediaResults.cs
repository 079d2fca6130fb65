using System.Text.Json.Serialization;
using CameraService.Core.Media;

namespace CameraService.Core.Methods;

// Result shapes of the media methods, exactly as api-contract.md §4 names them (snake_case on the wire).

internal sealed record SnapshotResultDto(string Device, string Filename, string Status, string Timestamp, long FileSize, string DownloadUrl);

internal sealed record StartRecordingResult(string Device, string SessionId, string? Filename, string Status, string StartTime, int? Duration, string Format);

internal sealed record RecordingFileDto(string Filename, long FileSize, string DownloadUrl, string Format);

/// <summary>The <c>format</c> of a file entry (api-contract §8.2): <c>mp4</c> (also fragmented MP4), <c>mkv</c>, <c>jpeg</c>, <c>png</c>.</summary>
internal static class FileFormats
{
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
    string Status,
    string StartTime,
    string EndTime,
    double Duration,
    long FileSize,
    string Format,
    IReadOnlyList<RecordingFileDto> Files,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason);

internal sealed record RecordingStatusResult(
    string Device,
    string Status,
    string? SessionId,
    string? StartTime,
    double ElapsedSeconds,
    int? DurationLimit,
    long BytesWritten,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LastStatus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason);

internal sealed record StartStreamingResult(string Device, string StreamName, string? StreamUrl, string Status, string StartTime, string? AutoCloseAfter);

internal sealed record StopStreamingResult(string Device, string StreamName, string Status, string? StartTime, string EndTime, double Duration, bool StreamContinues);

internal sealed record StreamUrlResult(string Device, string StreamName, string? StreamUrl, bool Available, int ActiveConsumers, string StreamStatus, StreamUrlsDto Streams);

internal sealed record StreamUrlsDto(string? Rtsp, string? Hls, string? Webrtc);

internal sealed record StreamStatusResult(string Device, string StreamName, string Status, bool Ready, int Readers, long BytesSent, string? StartTime);

internal sealed record StreamListItem(string Name, string Source, bool Ready, int Readers, long BytesSent);

internal sealed record FileListItem(
    string Filename,
    string Device,
    long FileSize,
    string ModifiedTime,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Duration,
    string DownloadUrl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool InProgress,
    string Format);

internal sealed record FileListResult(
    IReadOnlyList<FileListItem> Files,
    int Total,
    int Limit,
    int Offset,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? NextCursor = null);

internal sealed record FileInfoResult(
    string Filename,
    string Device,
    long FileSize,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Duration,
    string CreatedTime,
    string ModifiedTime,
    string DownloadUrl,
    bool InProgress,
    string Format);

internal sealed record DeleteResult(string Filename, bool Deleted, string Message);

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
    string Status);

internal sealed record RetentionPolicyResult(string PolicyType, bool Enabled, double? MaxAgeDays, double? MaxSizeGb, double? MinFreePercent, string Message);

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
