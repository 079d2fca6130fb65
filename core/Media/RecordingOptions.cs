using Microsoft.Extensions.Options;

namespace CameraService.Core.Media;

/// <summary>The <c>Recording</c> configuration section (docs/configuration.md).</summary>
internal sealed class RecordingOptions
{
    public const string SectionName = "Recording";

    /// <summary>How often a running recording reports <c>recording_progress</c> (api-contract.md §8.2).</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(5);
}

internal sealed class RecordingOptionsValidator : IValidateOptions<RecordingOptions>
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Max = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, RecordingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ProgressInterval < Min || options.ProgressInterval > Max
            ? ValidateOptionsResult.Fail($"Recording:ProgressInterval must be between 100ms and 1h (was {options.ProgressInterval}); e.g. 5s.")
            : ValidateOptionsResult.Success;
    }
}
