using System.Text;
using CameraService.Abstractions.Plugins;
using CameraService.Tests.Support;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using PublicApiGenerator;

namespace CameraService.Architecture.Tests;

/// <summary>
/// The public surface of the plugin SDK is approved in abstractions/PublicAPI.approved.txt, so a contract change is
/// a visible line in review. Accept an intended change with:
/// <c>ACCEPT_API_CHANGES=1 dotnet test tests/CameraService.Architecture.Tests --filter PublicApi</c>.
/// </summary>
public sealed class PublicApiTests
{
    public const string AcceptVariable = "ACCEPT_API_CHANGES";
    public const string AcceptCommand = "ACCEPT_API_CHANGES=1 dotnet test tests/CameraService.Architecture.Tests --filter PublicApi";

    private static string ApprovedFile => Path.Combine(RepositoryPaths.Root, "abstractions", "PublicAPI.approved.txt");

    [Fact]
    public void PublicApi_Abstractions_MatchesApprovedFile()
    {
        var actual = Render();
        var approved = File.Exists(ApprovedFile) ? File.ReadAllText(ApprovedFile).ReplaceLineEndings("\n") : string.Empty;
        if (actual == approved)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            File.WriteAllText(ApprovedFile, actual);
            return;
        }

        Assert.Fail(
            $"The public API of CameraService.Abstractions differs from {Path.GetRelativePath(RepositoryPaths.Root, ApprovedFile)}" +
            $" (- approved, + actual):\n{Diff(approved, actual)}\n" +
            "If the change is intended (and AbstractionsVersion is bumped: minor for additions, major for breaking changes), accept it with:\n" +
            $"  {AcceptCommand}\nand commit the file.");
    }

    [Fact]
    public void AbstractionsVersion_MatchesAssemblyVersion()
    {
        var assemblyVersion = typeof(IPlugin).Assembly.GetName().Version!;

        Assert.Equal((AbstractionsVersion.Major, AbstractionsVersion.Minor), (assemblyVersion.Major, assemblyVersion.Minor));
    }

    /// <summary>The SDK's public types and members with signatures, sorted (namespaces, types, members), headed by the SDK version.</summary>
    private static string Render()
    {
        var api = typeof(IPlugin).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false });
        return $"// CameraService.Abstractions {AbstractionsVersion.Major}.{AbstractionsVersion.Minor}\n{api.ReplaceLineEndings("\n").TrimEnd()}\n";
    }

    private static string Diff(string approved, string actual)
    {
        var diff = InlineDiffBuilder.Diff(approved, actual, ignoreWhiteSpace: false);
        var sb = new StringBuilder();
        foreach (var line in diff.Lines)
        {
            var prefix = line.Type switch
            {
                ChangeType.Inserted => "+ ",
                ChangeType.Deleted => "- ",
                _ => null,
            };
            if (prefix is not null)
            {
                sb.Append(prefix).AppendLine(line.Text);
            }
        }

        return sb.ToString();
    }
}
