using System.Text.Json;
using System.Text.Json.Serialization;
using CameraService.Abstractions;
using CameraService.Abstractions.Media;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Validates the retention policy and keeps it in the plugin's state folder (<c>storage-retention.json</c>),
/// written atomically (temporary file, flush to disk, rename) so a crash leaves the old or the new policy, never half.
/// A policy stored by a version before SDK 2.0 (in <paramref name="legacyDirectory"/>) is read until a new one is saved.
/// </summary>
internal sealed partial class RetentionPolicyStore(string stateDirectory, ILogger logger, string? legacyDirectory = null)
{
    /// <summary>The file name inside the state directory.</summary>
    public const string FileName = "storage-retention.json";

    /// <summary>The policy used until one is set: nothing is deleted automatically.</summary>
    public static RetentionPolicy Default { get; } = new() { PolicyType = RetentionPolicyTypes.Manual, Enabled = false };

    public string FilePath => Path.Combine(stateDirectory, FileName);

    /// <summary>
    /// Throws <see cref="InvalidParameterException"/> for the first broken rule: <c>policy_type</c> is one of
    /// <c>age</c>, <c>size</c>, <c>manual</c>; <c>age</c> needs <c>max_age_days</c> &gt; 0; <c>size</c> needs
    /// <c>max_size_gb</c> &gt; 0; any given limit must be a positive number; <c>min_free_percent</c> is 0–100.
    /// </summary>
    public static void Validate(RetentionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.PolicyType is not (RetentionPolicyTypes.Age or RetentionPolicyTypes.Size or RetentionPolicyTypes.Manual))
        {
            throw new InvalidParameterException("policy_type", "must be one of 'age', 'size', 'manual'");
        }

        if (policy.PolicyType == RetentionPolicyTypes.Age && policy.MaxAgeDays is null)
        {
            throw new InvalidParameterException("max_age_days", "is required for the 'age' policy (days, above 0)");
        }

        if (policy.PolicyType == RetentionPolicyTypes.Size && policy.MaxSizeGb is null)
        {
            throw new InvalidParameterException("max_size_gb", "is required for the 'size' policy (GB, above 0)");
        }

        if (policy.MaxAgeDays is { } days && (!double.IsFinite(days) || days <= 0))
        {
            throw new InvalidParameterException("max_age_days", "must be a number above 0");
        }

        if (policy.MaxSizeGb is { } gb && (!double.IsFinite(gb) || gb <= 0))
        {
            throw new InvalidParameterException("max_size_gb", "must be a number above 0");
        }

        if (policy.MinFreePercent is { } free && (!double.IsFinite(free) || free < 0 || free > 100))
        {
            throw new InvalidParameterException("min_free_percent", "must be a number from 0 to 100");
        }
    }

    /// <summary>Reads the stored policy; a missing file gives <see cref="Default"/>, an unreadable one is logged and gives <see cref="Default"/>.</summary>
    public RetentionPolicy Load()
    {
        var path = FilePath;
        if (!File.Exists(path))
        {
            var legacy = legacyDirectory is null ? null : Path.Combine(legacyDirectory, FileName);
            if (legacy is null || !File.Exists(legacy))
            {
                return Default;
            }

            path = legacy;
        }

        try
        {
            var policy = JsonSerializer.Deserialize(File.ReadAllBytes(path), RetentionJsonContext.Default.RetentionPolicy)
                ?? throw new JsonException("the file holds null");
            Validate(policy);
            return policy;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidParameterException)
        {
            LogPolicyUnreadable(logger, ex, path);
            return Default;
        }
    }

    /// <summary>Writes the policy atomically; throws <see cref="DependencyFailedException"/> when the state directory cannot be written.</summary>
    public void Save(RetentionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var path = FilePath;
        var temp = Path.Combine(stateDirectory, $".{FileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(stateDirectory);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, policy, RetentionJsonContext.Default.RetentionPolicy);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogPolicySaveFailed(logger, ex, path);
            TryDelete(temp);
            throw new DependencyFailedException("storage", "the retention policy could not be saved in the state directory; check its permissions and free space", ex);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover dot-file in the state directory is harmless.
        }
    }

    [LoggerMessage(EventId = 6040, Level = LogLevel.Error, Message = "The stored retention policy {Path} cannot be read; using the default (manual, nothing deleted automatically) until a new policy is set.")]
    private static partial void LogPolicyUnreadable(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 6041, Level = LogLevel.Error, Message = "The retention policy could not be written to {Path}.")]
    private static partial void LogPolicySaveFailed(ILogger logger, Exception exception, string path);
}

/// <summary>Source-generated JSON for the persisted policy (snake_case, as on the wire).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RetentionPolicy))]
internal sealed partial class RetentionJsonContext : JsonSerializerContext;
