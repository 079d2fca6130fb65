using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Settings of the storage plugin, from its <c>Storage</c> section (kept from before plugins had a
/// <c>Plugins:&lt;Id&gt;</c> section). The media root and the state folder come from <see cref="CameraService.Abstractions.Plugins.IServiceEnvironment"/>.
/// </summary>
internal sealed class StorageOptions
{
    /// <summary>The section these options bind from (durations as <c>00:10:00</c>, <c>10m</c>, <c>5s</c>: the host's TimeSpan converter).</summary>
    public const string SectionName = "Storage";

    /// <summary>Media root: <c>recordings/&lt;cameraId&gt;/</c> and <c>snapshots/&lt;cameraId&gt;/</c> live below it.</summary>
    public string Root { get; internal set; } = string.Empty;

    /// <summary>Where the retention policy is persisted: the plugin's own state folder (IServiceEnvironment), not a <c>Storage</c> key (hence no public setter).</summary>
    public string StateDirectory { get; internal set; } = string.Empty;

    /// <summary>Where a version before SDK 2.0 kept the policy (<c>State:Directory</c> itself); read until a new policy is saved.</summary>
    public string? LegacyStateDirectory { get; internal set; }

    /// <summary>Used-space percentage at which the status turns WARNING.</summary>
    public double WarnPercent { get; set; } = 80;

    /// <summary>Used-space percentage at which the status turns CRITICAL and new writes are refused.</summary>
    public double BlockPercent { get; set; } = 90;

    /// <summary>How often the background sweep applies an enabled retention policy.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the catalog is rebuilt from a full directory walk (the watcher keeps it current between).</summary>
    public TimeSpan RescanInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the space guard measures the file system and raises transitions.</summary>
    public TimeSpan MonitorInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Lifetime of signed download URLs (<see cref="CameraService.Abstractions.Media.IMediaStore.DownloadUrlLifetime"/>).</summary>
    public TimeSpan DownloadUrlTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A recording modified this recently counts as still being written even without an active session.</summary>
    public TimeSpan InProgressWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a file-system measurement is reused. Fixed, not a configuration key (hence no public setter).</summary>
    public TimeSpan StatusCacheDuration { get; internal set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Refuses settings the store cannot work with; the host reports them at start (ValidateOnStart).</summary>
internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Root) || options.Root.Contains('\0', StringComparison.Ordinal))
        {
            errors.Add("Storage:Root: must be a folder path");
        }

        if (string.IsNullOrWhiteSpace(options.StateDirectory) || options.StateDirectory.Contains('\0', StringComparison.Ordinal))
        {
            errors.Add("State:Directory: must be a folder path");
        }

        if (options.WarnPercent is <= 0 or > 100)
        {
            errors.Add("Storage:WarnPercent: must be above 0 and at most 100");
        }

        if (options.BlockPercent is <= 0 or > 100)
        {
            errors.Add("Storage:BlockPercent: must be above 0 and at most 100");
        }

        if (options.WarnPercent > options.BlockPercent)
        {
            errors.Add("Storage:WarnPercent: must not be above Storage:BlockPercent");
        }

        CheckRange(errors, "Storage:RetentionInterval", options.RetentionInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7));
        CheckRange(errors, "Storage:RescanInterval", options.RescanInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        CheckRange(errors, "Storage:MonitorInterval", options.MonitorInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        CheckRange(errors, "Storage:DownloadUrlTtl", options.DownloadUrlTtl, TimeSpan.FromSeconds(10), TimeSpan.FromDays(7));
        CheckRange(errors, "Storage:InProgressWindow", options.InProgressWindow, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckRange(List<string> errors, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{key}: must be between {min} and {max}");
        }
    }
}
