namespace Sluice.Integration.Fixtures;

/// <summary>Files of the repository the tests were built from (examples, golden configurations).</summary>
internal static class RepositoryFiles
{
    /// <summary>The path of <paramref name="parts"/> under the directory that holds Sluice.slnx.</summary>
    public static string Path(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Sluice.slnx")))
        {
            dir = dir.Parent;
        }

        return System.IO.Path.Combine([dir?.FullName ?? throw new DirectoryNotFoundException("Sluice.slnx not found above the test binaries"), .. parts]);
    }
}
