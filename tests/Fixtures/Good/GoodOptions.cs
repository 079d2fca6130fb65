using Microsoft.Extensions.Configuration;

namespace CameraService.Tests.Fixtures;

/// <summary>Options that follow the convention; the configuration-docs tests check that their keys are collected.</summary>
internal sealed class GoodOptions
{
    public const string SectionName = "Plugins:good";

    public string Greeting { get; set; } = "hello";

    public GoodLimitsOptions Limits { get; set; } = new();

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

/// <summary>Breaks the convention (no SectionName): the convention test must name it.</summary>
internal sealed class UnsectionedOptions
{
    public bool Flag { get; set; }
}
