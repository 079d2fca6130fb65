using Microsoft.Extensions.Configuration;

namespace CameraService.Tests.Fixtures;

/// <summary>Options that follow the convention; the configuration-docs tests check that their keys are collected.</summary>
internal sealed class GoodOptions
{
    public const string SectionName = "Plugins:good";

    public string Greeting { get; set; } = "hello";

    public GoodLimitsOptions Limits { get; set; } = new();

    /// <summary>A dictionary of nested options: keys <c>Plugins:good:Channels:&lt;key&gt;:Label</c>.</summary>
    public IDictionary<string, GoodChannelOptions> Channels { get; set; } = new Dictionary<string, GoodChannelOptions>();

    [ConfigurationKeyName("Alias")]
    public int Renamed { get; init; }

    /// <summary>Computed, not bound: not a configuration key.</summary>
    public int GreetingLength => Greeting.Length;
}

/// <summary>Nested options: their section comes from the parent property (Plugins:good:Limits).</summary>
internal sealed class GoodLimitsOptions
{
    public int Depth { get; set; } = 3;
}

/// <summary>Options of one dictionary entry: nested, no SectionName needed.</summary>
internal sealed class GoodChannelOptions
{
    public string? Label { get; set; }
}

/// <summary>Breaks the convention (no SectionName): the convention test must name it.</summary>
internal sealed class UnsectionedOptions
{
    public bool Flag { get; set; }
}
