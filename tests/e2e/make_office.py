#!/usr/bin/env python3
"""Writes the office fixtures of tests/e2e/test_office.sh into the folder argv[1]:
notice.docx (core.xml title, traditional body text, a table), fees.xlsx (shared and inline
strings, numbers), invoice.ofd (an e-invoice-like OFD: DocInfo, TextObject/TextCode text, a
custom tag file pointing at text objects), broken.doc (a minimal OLE2 compound file with
Word's class id and a WordDocument stream: libmagic calls it application/msword, and
LibreOffice cannot convert it) and locked.docx (the same container holding an
EncryptedPackage stream, as a password-protected .docx is). Only the standard library: zipfile and struct."""
import os
import struct
import sys
import uuid
import zipfile

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
CT = 'http://schemas.openxmlformats.org/package/2006/content-types'
W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main'
S = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'


def core(title, created):
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:title>{title}</dc:title><dc:creator>校长办公室</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
            '</cp:coreProperties>')


def content_types(overrides):
    parts = ''.join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
    return (f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{CT}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'{parts}</Types>')


CORE_T = 'application/vnd.openxmlformats-package.core-properties+xml'
REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'


def rels(targets):
    """A relationships part: (type suffix, target) pairs."""
    items = ''.join(f'<Relationship Id="rId{i + 1}" Type="{REL}/{t}" Target="{target}"/>'
                    for i, (t, target) in enumerate(targets))
    return ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            f'openxmlformats.org/package/2006/relationships">{items}</Relationships>')


def package_rels(main):
    return rels([('officeDocument', main)]).replace(
        '</Relationships>', '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/'
        'package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        '</Relationships>')


def docx(path):
    paras = ['各處室、各年級組：', '為做好二〇二四年春季開學檔案整理工作，現將有關事項通知如下。',
             '校長辦公室']
    body = ''.join(f'<w:p><w:r><w:t>{p}</w:t></w:r></w:p>' for p in paras)
    rows = [['項目', '負責處室'], ['學籍檔案', '教務處']]
    table = '<w:tbl>' + ''.join(
        '<w:tr>' + ''.join(f'<w:tc><w:p><w:r><w:t>{c}</w:t></w:r></w:p></w:tc>' for c in r)
        + '</w:tr>' for r in rows) + '</w:tbl>'
    doc = (f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>'
           f'{body}{table}<w:p><w:r><w:t>2024年2月1日</w:t></w:r></w:p></w:body></w:document>')
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', content_types([
            ('/word/document.xml', 'application/vnd.openxmlformats-officedocument.'
             'wordprocessingml.document.main+xml'), ('/docProps/core.xml', CORE_T)]))
        z.writestr('_rels/.rels', package_rels('word/document.xml'))
        z.writestr('word/document.xml', doc)
        z.writestr('docProps/core.xml', core('关于做好春季开学档案整理工作的通知',
                                             '2024-01-30T08:00:00Z'))


def xlsx(path):
    shared = ['项目', '金额', '学生作业本采购']
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{S}" count="3">'
           + ''.join(f'<si><t>{s}</t></si>' for s in shared) + '</sst>')
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{S}"><sheetData>'
             '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
             '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>1280.5</v></c></row>'
             '<row r="3"><c r="A3" t="inlineStr"><is><t>实验室耗材报销</t></is></c>'
             '<c r="B3"><v>356</v></c></row></sheetData></worksheet>')
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', content_types([
            ('/xl/workbook.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.'
             'sheet.main+xml'),
            ('/xl/worksheets/sheet1.xml', 'application/vnd.openxmlformats-officedocument.'
             'spreadsheetml.worksheet+xml'),
            ('/xl/sharedStrings.xml', 'application/vnd.openxmlformats-officedocument.'
             'spreadsheetml.sharedStrings+xml'), ('/docProps/core.xml', CORE_T)]))
        z.writestr('_rels/.rels', package_rels('xl/workbook.xml'))
        z.writestr('xl/_rels/workbook.xml.rels', rels([('worksheet', 'worksheets/sheet1.xml'),
                                                       ('sharedStrings', 'sharedStrings.xml')]))
        z.writestr('xl/workbook.xml', f'<workbook xmlns="{S}" xmlns:r="{REL}"><sheets>'
                   '<sheet name="报销" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr('xl/worksheets/sheet1.xml', sheet)
        z.writestr('xl/sharedStrings.xml', sst)
        z.writestr('docProps/core.xml', core('2024年3月办公经费报销明细', '2024-03-05T09:00:00Z'))


def ofd(path):
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    root = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.1" DocType="OFD">'
            '<ofd:DocBody><ofd:DocInfo><ofd:DocID>6f1c2b0e9a7d4c35</ofd:DocID>'
            '<ofd:Title>电子发票（普通发票）办公用品</ofd:Title><ofd:Author>某某文具有限公司</ofd:Author>'
            '<ofd:CreationDate>2024-03-12</ofd:CreationDate><ofd:Keywords>'
            '<ofd:Keyword>发票</ofd:Keyword><ofd:Keyword>办公用品</ofd:Keyword></ofd:Keywords>'
            '</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
    document = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}><ofd:CommonData>'
                '<ofd:MaxUnitID>40</ofd:MaxUnitID></ofd:CommonData><ofd:Pages>'
                '<ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
                '<ofd:CustomTags>CustomTags.xml</ofd:CustomTags></ofd:Document>')
    objects = [(10, 20, '电子发票（普通发票）'), (11, 30, '发票号码：'), (12, 30, '24312000000012345678'),
               (13, 38, '开票日期：'), (14, 38, '2024年03月12日'), (15, 46, '购买方名称：某某市第一中学'),
               (16, 54, '项目名称：*纸制品*复印纸 A4'), (17, 62, '价税合计（小写）：¥1280.50')]
    texts = ''.join(
        f'<ofd:TextObject ID="{i}" Boundary="{20 if i % 2 else 70} {y} 80 6" Font="3" Size="3.5">'
        f'<ofd:TextCode X="0" Y="4">{t}</ofd:TextCode></ofd:TextObject>' for i, y, t in objects)
    content = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}><ofd:Content>'
               f'<ofd:Layer ID="2">{texts}</ofd:Layer></ofd:Content></ofd:Page>')
    tags = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:CustomTags {ns}><ofd:CustomTag '
            'NameSpace="http://www.edrm.org.cn/schema/e-invoice/2019" TypeID="invoice">'
            '<ofd:FileLoc>Tags/CustomTag.xml</ofd:FileLoc></ofd:CustomTag></ofd:CustomTags>')
    fields = ('<?xml version="1.0" encoding="UTF-8"?><fp:eInvoice '
              'xmlns:fp="http://www.edrm.org.cn/schema/e-invoice/2019">'
              '<fp:InvoiceNo><fp:ObjectRef PageRef="1">12</fp:ObjectRef></fp:InvoiceNo>'
              '<fp:IssueDate><fp:ObjectRef PageRef="1">14</fp:ObjectRef></fp:IssueDate>'
              '</fp:eInvoice>')
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('OFD.xml', root)
        z.writestr('Doc_0/Document.xml', document)
        z.writestr('Doc_0/Pages/Page_0/Content.xml', content)
        z.writestr('Doc_0/CustomTags.xml', tags)
        z.writestr('Doc_0/Tags/CustomTag.xml', fields)


def ole_doc(path, stream='WordDocument', word_class=True):
    """A minimal OLE2 compound file: header, one FAT sector, one directory sector, and a
    4096-byte stream (no mini stream needed), with Word's class id on the root. Named
    EncryptedPackage without the class id, it is what Office writes for a password-protected
    .docx (libmagic: application/encrypted)."""
    FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = b'\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1' + b'\0' * 16
    header += struct.pack('<HHHHH', 0x3E, 3, 0xFFFE, 9, 6) + b'\0' * 6
    header += struct.pack('<IIIIIIIII', 0, 1, 1, 0, 4096, END, 0, END, 0)
    header += struct.pack('<I', 0) + struct.pack('<I', FREE) * 108
    fat = [FATSECT, END] + list(range(3, 10)) + [END]
    fat += [FREE] * (128 - len(fat))

    def entry(name, kind, child, start, size, clsid=b'\0' * 16):
        n = (name + '\0').encode('utf-16-le') if name else b''
        return (n.ljust(64, b'\0') + struct.pack('<HBB', len(n), kind, 1 if kind else 0)
                + struct.pack('<III', NOSTREAM, NOSTREAM, child) + clsid + b'\0' * 20
                + struct.pack('<IIi', start, size, 0))
    word = uuid.UUID('00020906-0000-0000-C000-000000000046').bytes_le if word_class else b'\0' * 16
    dirs = (entry('Root Entry', 5, 1, END, 0, word) + entry(stream, 2, NOSTREAM, 2, 4096)
            + entry('', 0, NOSTREAM, 0, 0) * 2)
    with open(path, 'wb') as f:
        f.write(header + struct.pack('<128I', *fat) + dirs + b'\xEC\xA5' + b'\0' * 4094)


docx(os.path.join(OUT, 'notice.docx'))
xlsx(os.path.join(OUT, 'fees.xlsx'))
ofd(os.path.join(OUT, 'invoice.ofd'))
ole_doc(os.path.join(OUT, 'broken.doc'))
ole_doc(os.path.join(OUT, 'locked.docx'), 'EncryptedPackage', word_class=False)
