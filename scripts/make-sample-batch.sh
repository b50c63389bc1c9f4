#!/usr/bin/env bash
# make-sample-batch.sh — writes the bundled sample batch the README's demo ingests: a few
# scanned-looking pages in simplified Chinese, traditional Chinese and English (rendered
# at 300 dpi from Debian's Noto CJK and DejaVu fonts, slightly skewed, blurred and noisy),
# a colour notice with a red header and a red seal, a two-page record described by a CSV
# manifest, and one deliberately damaged scan.
#
#   scripts/make-sample-batch.sh OUTDIR
set -euo pipefail
out=${1:?usage: make-sample-batch.sh OUTDIR}
rm -rf "$out"
mkdir -p "$out/scans"
cd "$out"

# page FONT TEXT FILE ANGLE: one scanned-looking page, 8-bit grey, with the line spacing of
# a typed office document (about 1.5 lines).
page() {
    convert -seed 5 -density 300 -units PixelsPerInch -background white -fill black \
        -font "$1" -pointsize 12 -interline-spacing 20 label:"$2" -bordercolor white -border 70 \
        -background white -rotate "$4" -blur 0x0.6 -attenuate 0.35 +noise Gaussian \
        +repage -colorspace Gray -depth 8 -define png:exclude-chunks=date,time "$3"
}

page Noto-Serif-CJK-SC '校办〔2024〕3号
关于2024年寒假放假安排的通知
各部门、各年级：
根据上级主管部门要求，我校寒假自
2024年1月20日开始，2月18日正式上课。
请各部门做好值班和安全工作。
校长办公室
2024年1月10日' scans/01-winter-break-notice.png 0.8

page Noto-Serif-CJK-TC '關於檔案管理工作會議紀要
本學期檔案室共接收各類文件三百餘件，
已完成整理與歸檔。會議決定加強電子
檔案的保管，並修訂借閱登記制度。
辦公室
2023年12月15日' scans/02-records-meeting-minutes.png -0.7

page Noto-Serif-CJK-SC '差旅费报销凭证
报销人：王老师  部门：教务处
事由：参加省教育厅培训会议
交通费 860元，住宿费 1200元，
合计 2060元。经费来源：培训专项预算。
财务处审核  2024年3月12日' scans/03-travel-reimbursement.png 0.5

page DejaVu-Serif 'Annual Budget Report 2023
The finance office presents the final
accounts for 2023. Total expenditure was
within the approved budget. The board
approved the budget for 2024.
Finance Office, 15 January 2024' scans/04-budget-report-en.png -0.6

# A two-page record: the manifest below names both pages, in order.
page Noto-Serif-CJK-SC '教职工招聘工作方案
一、招聘岗位：数学教师2名、英语教师1名。
二、报名时间：2024年4月1日至4月15日。' scans/05-hiring-plan-p1.png 0.4
page Noto-Serif-CJK-SC '三、考核方式：笔试、试讲和面试。
四、录用人员经公示后签订聘用合同。
人事处
2024年3月20日' scans/05-hiring-plan-p2.png -0.4

# A colour scan of an official notice: the issuing school's name as a red header, and its
# red seal stamped across the body, as on most official records.
convert -size 300x300 xc:none -fill none -stroke 'rgb(214,32,40)' -strokewidth 10 \
    -draw 'circle 150,150 150,12' -stroke none -fill 'rgb(214,32,40)' \
    -font Noto-Serif-CJK-SC -pointsize 44 -draw "text 62,140 '第一中学'" \
    -pointsize 70 -draw "text 112,235 '★'" /tmp/dangan-sample-seal.$$.png
convert -density 300 -units PixelsPerInch -background white \
    \( -fill 'rgb(214,32,40)' -font Noto-Serif-CJK-SC -pointsize 18 label:'某某市第一中学文件' \) \
    \( -size 10x60 xc:white +size \) \
    \( -fill black -font Noto-Serif-CJK-SC -pointsize 12 -interline-spacing 20 label:'校发〔2024〕7号
关于做好年度考核工作的通知
各处室、各年级组：
根据上级主管部门的要求，现将本年度考核
工作有关事项通知如下。请各部门认真组织，
按时上报考核结果，做好材料归档工作。
2024年11月20日' \) \
    -gravity center -append -bordercolor white -border 70 -gravity northwest \
    /tmp/dangan-sample-seal.$$.png -geometry +430+420 -compose multiply -composite \
    -seed 5 -blur 0x0.5 -attenuate 0.3 +noise Gaussian +repage -depth 8 \
    -define png:exclude-chunks=date,time scans/07-sealed-notice.png
rm -f /tmp/dangan-sample-seal.$$.png

# One damaged scan: the first half of a PNG, as a broken transfer leaves it.
page DejaVu-Serif 'This page never arrives whole.' /tmp/dangan-sample-whole.$$.png 0
head -c 2000 /tmp/dangan-sample-whole.$$.png > scans/06-damaged-scan.png
rm -f /tmp/dangan-sample-whole.$$.png

cat > manifest.csv <<'CSV'
files,title,date,category,type,department,level,location
scans/05-hiring-plan-p1.png;scans/05-hiring-plan-p2.png,教职工招聘工作方案,2024-03-20,personnel,hiring,人事处,2,Cabinet 3 / Box 12
CSV
echo "sample batch written to $out ($(find scans -type f | wc -l) files, manifest.csv)" >&2
