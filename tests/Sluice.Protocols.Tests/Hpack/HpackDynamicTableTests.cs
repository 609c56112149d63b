using Sluice.Protocols.Hpack;
using Sluice.TestKit.Hpack;
using static Sluice.Protocols.Tests.Hpack.HpackTestSupport;

namespace Sluice.Protocols.Tests.Hpack;

public class HpackDynamicTableTests
{
    [Fact]
    public void Insert_SizeAccounting_NamePlusValuePlus32()
    {
        var table = new HpackDynamicTable(4096);
        table.Insert("custom-key"u8, "custom-header"u8);
        Assert.Equal(55, table.Size);
        table.Insert(""u8, ""u8);
        Assert.Equal(87, table.Size);
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void Insert_PastMaxSize_OldestEvicted()
    {
        var table = new HpackDynamicTable(100);
        table.Insert("a"u8, "1"u8); // 34
        table.Insert("b"u8, "2"u8); // 34
        table.Insert("c"u8, "3"u8); // 34: evicts a
        Assert.Equal([new TestHeader("c", "3"), new TestHeader("b", "2")], TableContents(table));
        Assert.Equal(68, table.Size);
    }

    [Fact]
    public void Insert_EntryLargerThanMaxSize_TableEmptied()
    {
        var table = new HpackDynamicTable(40);
        table.Insert("a"u8, "1"u8);
        table.Insert("abcdef"u8, "1"u8); // 39 fits
        Assert.Equal(1, table.Count);
        table.Insert("abcdefgh"u8, "1"u8); // 41 does not
        Assert.Equal(0, table.Count);
        Assert.Equal(0, table.Size);
    }

    [Fact]
    public void SetMaxSize_Smaller_EvictsUntilFits()
    {
        var table = new HpackDynamicTable(4096);
        table.Insert("a"u8, "1"u8);
        table.Insert("b"u8, "2"u8);
        table.SetMaxSize(40);
        Assert.Equal([new TestHeader("b", "2")], TableContents(table));
        table.SetMaxSize(0);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Find_NameAndValue_IndexesNewestFirst()
    {
        var table = new HpackDynamicTable(4096);
        table.Insert("x"u8, "1"u8);
        table.Insert("x"u8, "2"u8);
        Assert.Equal(2, table.Find("x"u8, "1"u8, out int nameIndex));
        Assert.Equal(1, nameIndex);
        Assert.Equal(0, table.Find("x"u8, "3"u8, out nameIndex));
        Assert.Equal(1, nameIndex);
        Assert.Equal(0, table.Find("y"u8, "1"u8, out nameIndex));
        Assert.Equal(0, nameIndex);
    }

    [Fact]
    public void InsertAndResize_RandomAgainstTestSideModel_SameContents()
    {
        // The byte ring wraps, leaves gaps and (rarely) compacts; a plain list is the reference.
        var random = new Random(4096);
        int maxSize = 256;
        var table = new HpackDynamicTable(maxSize);
        var model = new SimpleHpackTable(maxSize);
        for (int step = 0; step < 20_000; step++)
        {
            if (random.Next(200) == 0)
            {
                maxSize = random.Next(0, 600);
                table.SetMaxSize(maxSize);
                model.Resize(maxSize);
            }
            else
            {
                int nameLength = random.Next(0, 3) == 0 ? 0 : random.Next(1, 40);
                int valueLength = random.Next(0, 4) == 0 ? 0 : random.Next(1, 200);
                string name = new((char)('a' + random.Next(26)), nameLength);
                string value = new((char)('A' + random.Next(26)), valueLength);
                table.Insert(Latin1(name), Latin1(value));
                model.Add(new TestHeader(name, value));
            }

            Assert.Equal(model.Dynamic, TableContents(table));
            Assert.Equal(model.Size, table.Size);
        }
    }
}
