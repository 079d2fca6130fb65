namespace CameraService.Host.Commands;

/// <summary>Process exit codes (documented in the README).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int ConfigurationError = 2;
    public const int MissingDependency = 3;
}
