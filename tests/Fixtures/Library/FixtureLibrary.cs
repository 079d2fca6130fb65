namespace CameraService.Tests.Fixtures;

/// <summary>A private dependency of a fixture plugin.</summary>
public static class FixtureLibrary
{
    public static string SourceName(string prefix) => prefix + "-library";
}
