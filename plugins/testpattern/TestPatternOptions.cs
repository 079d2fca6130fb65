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

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
