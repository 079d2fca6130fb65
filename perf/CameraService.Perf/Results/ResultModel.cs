using System.Text.Json.Serialization;

namespace CameraService.Perf.Results;

/// <summary>Latency (ms) and outcomes of one method in one phase.</summary>
internal sealed record MethodResult(
    string Method,
    long Count,
    long Ok,
    long Errors,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    double MeanMs,
    IReadOnlyDictionary<string, long> ErrorsByKind);

/// <summary>One /proc sample of a process.</summary>
internal sealed record ProcessSample(double AtSeconds, double CpuPercent, long RssBytes, int Threads, int OpenFiles);

/// <summary>A process's resource use over a phase (CPU % of one core).</summary>
internal sealed record ProcessSummary(
    int Pid,
    double CpuPercentAvg,
    double CpuPercentMax,
    long RssStartBytes,
    long RssEndBytes,
    long RssMaxBytes,
    int OpenFilesStart,
    int OpenFilesEnd,
    int OpenFilesMax,
    IReadOnlyList<ProcessSample>? Samples);

/// <summary>One measured interval of a scenario against one target.</summary>
internal sealed record PhaseResult(
    string Name,
    string Target,
    double DurationSeconds,
    long Requests,
    long Errors,
    double RequestsPerSecond,
    double ErrorRatePercent,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    IReadOnlyList<MethodResult> Methods,
    ProcessSummary? Server,
    ProcessSummary? Client,
    IReadOnlyDictionary<string, double> Metrics);

/// <summary>The file written to perf/results/&lt;scenario&gt;-&lt;timestamp&gt;.json.</summary>
internal sealed record RunResult(
    string Scenario,
    bool Smoke,
    string StartedAtUtc,
    double DurationSeconds,
    string GitCommit,
    string Machine,
    string Command,
    IReadOnlyDictionary<string, string> Parameters,
    IReadOnlyList<PhaseResult> Phases,
    double? LimitRatio,
    bool Completed,
    long TotalErrors,
    IReadOnlyList<string> Notes);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunResult))]
internal sealed partial class ResultJsonContext : JsonSerializerContext;
