using CameraService.Abstractions;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Storage;

/// <summary>
/// Resolves a client's file name (get, delete, download) to a catalogued file: the name must follow the naming
/// rules, every symlink on the way must stay inside the kind's directory, and the entry is refreshed from disk, so
/// the answer describes the file as it is now. The download endpoint then opens exactly that path without following
/// a symlink (<see cref="SafePath.OpenNoFollow"/>).
/// </summary>
internal sealed class MediaFileResolver(ILogger logger)
{
    /// <summary>Validates a name and finds its file, refreshed from disk; throws the contract's exceptions.</summary>
    /// <exception cref="InvalidParameterException">The name breaks the naming rules or resolves outside the media directory.</exception>
    /// <exception cref="ResourceNotFoundException">No file of the kind has the name.</exception>
    public CatalogEntry Resolve(CatalogWatcher files, string fileName)
    {
        FileNameRules.ValidateFileName(fileName);
        var canonicalRoot = SafePath.RealPath(files.Directory)
            ?? throw new ResourceNotFoundException(files.ResourceName, fileName);
        var path = files.Catalog.Get(fileName)?.Path ?? files.FindOnDisk(fileName)
            ?? throw new ResourceNotFoundException(files.ResourceName, fileName);
        if (SafePath.ResolveContainedFile(path, canonicalRoot, out var escapes) is null)
        {
            if (escapes)
            {
                Log.EscapeRefused(logger, files.Kind, fileName);
                throw new InvalidParameterException("filename", "must name a file inside the media directory");
            }

            files.Catalog.Remove(fileName, path);
            throw new ResourceNotFoundException(files.ResourceName, fileName);
        }

        return files.Refresh(path) ?? throw new ResourceNotFoundException(files.ResourceName, fileName);
    }
}
