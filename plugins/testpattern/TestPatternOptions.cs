using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.TestPattern;

/// <summary>Options of the testpattern plugin, bound from <c>Plugins:TestPattern</c> (docs/testpattern.md).</summary>
internal sealed class TestPatternOptions
{
    public const string SectionName = "Plugins:TestPattern";

    /// <summary>
    /// Whether the source reports cameras. Unset means false: the plugin loads but stays silent, so an
    /// installation never shows synthetic cameras unless asked to. (<c>false</c> explicitly also makes the
    /// host skip loading the plugin at all.)
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>Number of synthetic cameras.</summary>
    public int Count { get; set; } = 2;

    /// <summary>Frame width.</summary>
    public int Width { get; set; } = 640;

    /// <summary>Frame height.</summary>
    public int Height { get; set; } = 480;

    /// <summary>Frame rate.</summary>
    public int Fps { get; set; } = 15;

    /// <summary>Per-camera settings, keyed by stable id (<c>testpattern-1</c>).</summary>
    public IDictionary<string, TestPatternCameraOptions> Cameras { get; set; } = new Dictionary<string, TestPatternCameraOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Binds each <c>Cameras:&lt;stableId&gt;</c> entry on its own: the configuration binder drops a dictionary entry whose
    /// value cannot be converted (<c>Audio: "maybe"</c>) without a word, while a direct bind reports it naming the key.
    /// </summary>
    public void BindCamerasStrictly(IConfigurationSection cameras)
    {
        ArgumentNullException.ThrowIfNull(cameras);
        foreach (var camera in cameras.GetChildren())
        {
            Cameras[camera.Key] = camera.Get<TestPatternCameraOptions>() ?? new TestPatternCameraOptions();
        }
    }

    /// <summary>
    /// Whether camera <paramref name="index"/> carries a tone: its <c>Cameras:&lt;id&gt;:Audio</c>, else the default — the
    /// odd-numbered cameras (<c>testpattern-1</c>, <c>-3</c>, …) have a tone and the even ones are silent, so the default
    /// demo of two cameras shows one of each.
    /// </summary>
    public bool HasAudio(int index, string stableId) =>
        Cameras.FirstOrDefault(c => string.Equals(c.Key, stableId, StringComparison.OrdinalIgnoreCase)).Value?.Audio ?? index % 2 == 1;
}

/// <summary>Settings of one synthetic camera (<c>Plugins:TestPattern:Cameras:&lt;stableId&gt;</c>).</summary>
internal sealed class TestPatternCameraOptions
{
    /// <summary>True gives the camera a 1 kHz tone (48 kHz mono) as its audio, false none; unset uses the default.</summary>
    public bool? Audio { get; set; }
}

/// <summary>Rejects values ffmpeg's testsrc2 or a sane demo cannot use.</summary>
internal sealed class TestPatternOptionsValidator : IValidateOptions<TestPatternOptions>
{
    public ValidateOptionsResult Validate(string? name, TestPatternOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Count is < 0 or > 64)
        {
            errors.Add("Plugins:TestPattern:Count must be between 0 and 64.");
        }

        // Even sizes: the H.264 encoders downstream need 4:2:0 chroma, which halves both dimensions.
        if (options.Width is < 16 or > 7680 || options.Height is < 16 or > 4320 || options.Width % 2 != 0 || options.Height % 2 != 0)
        {
            errors.Add("Plugins:TestPattern:Width and Plugins:TestPattern:Height must be even, Width 16–7680 and Height 16–4320.");
        }

        if (options.Fps is < 1 or > 120)
        {
            errors.Add("Plugins:TestPattern:Fps must be between 1 and 120.");
        }

        foreach (var id in options.Cameras.Keys)
        {
            if (!id.StartsWith("testpattern-", StringComparison.OrdinalIgnoreCase)
                || !int.TryParse(id["testpattern-".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
                || index >= options.Count)
            {
                errors.Add($"Plugins:TestPattern:Cameras:{id} names no camera: the ids are testpattern-0 … testpattern-{options.Count - 1} (Plugins:TestPattern:Count).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
